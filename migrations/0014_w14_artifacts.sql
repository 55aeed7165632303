CREATE TABLE `artifact_uploads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`turn_id` integer NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`file_id` text,
	`state` text DEFAULT 'claimed' NOT NULL,
	`content_hash` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `artifact_uploads_turn_title` ON `artifact_uploads` (`team_id`,`turn_id`,`title`);--> statement-breakpoint
CREATE INDEX `artifact_uploads_task_kind` ON `artifact_uploads` (`team_id`,`task_id`,`kind`,`state`);--> statement-breakpoint
CREATE TABLE `designs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`title` text NOT NULL,
	`requester_id` text NOT NULL,
	`thread_ts` text NOT NULL,
	`files` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `designs_team_task` ON `designs` (`team_id`,`task_id`);--> statement-breakpoint
CREATE INDEX `designs_team_channel_updated` ON `designs` (`team_id`,`channel_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `dictionary_inputs` (
	`team_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`input` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `task_id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
