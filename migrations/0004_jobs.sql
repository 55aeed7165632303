CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`payload` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`run_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`last_error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `jobs_state_run_at` ON `jobs` (`state`,`run_at`);--> statement-breakpoint
CREATE INDEX `jobs_task_state` ON `jobs` (`task_id`,`state`);--> statement-breakpoint
ALTER TABLE `turns` ADD `message_ts` text;