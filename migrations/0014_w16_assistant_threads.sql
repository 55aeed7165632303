CREATE TABLE `assistant_threads` (
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`thread_ts` text NOT NULL,
	`user_id` text NOT NULL,
	`context_channel_id` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `channel_id`, `thread_ts`)
);
--> statement-breakpoint
CREATE INDEX `assistant_threads_team_created` ON `assistant_threads` (`team_id`,`created_at`);