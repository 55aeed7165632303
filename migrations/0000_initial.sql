CREATE TABLE `events_seen` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`delivery_id` text,
	`channel_id` text,
	`message_ts` text,
	`task_id` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_seen_team_delivery` ON `events_seen` (`team_id`,`delivery_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_seen_team_channel_ts` ON `events_seen` (`team_id`,`channel_id`,`message_ts`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`thread_ts` text,
	`requester_id` text NOT NULL,
	`source` text NOT NULL,
	`text` text NOT NULL,
	`title` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`answer_ts` text,
	`failure_reason` text,
	`model` text,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`cache_read_tokens` integer DEFAULT 0 NOT NULL,
	`cache_write_tokens` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `tasks_team_channel_created` ON `tasks` (`team_id`,`channel_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_team_status` ON `tasks` (`team_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_team_channel_thread` ON `tasks` (`team_id`,`channel_id`,`thread_ts`);--> statement-breakpoint
CREATE TABLE `turns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`user_id` text,
	`slack_ts` text,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`cache_read_tokens` integer DEFAULT 0 NOT NULL,
	`cache_write_tokens` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `turns_team_task` ON `turns` (`team_id`,`task_id`,`id`);