CREATE TABLE `thread_files` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`thread_ts` text NOT NULL,
	`file_id` text NOT NULL,
	`message_ts` text NOT NULL,
	`name` text,
	`table_name` text,
	`status` text DEFAULT 'new' NOT NULL,
	`detail` text,
	`reply_state` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `thread_files_team_thread_file` ON `thread_files` (`team_id`,`channel_id`,`thread_ts`,`file_id`);--> statement-breakpoint
CREATE INDEX `thread_files_team_created` ON `thread_files` (`team_id`,`created_at`);