CREATE TABLE `channel_contexts` (
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`text` text NOT NULL,
	`set_by` text NOT NULL,
	`set_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `channel_id`)
);
--> statement-breakpoint
CREATE TABLE `channel_data_sources` (
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`source_name` text NOT NULL,
	`set_by` text NOT NULL,
	`set_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `channel_id`)
);
--> statement-breakpoint
CREATE TABLE `data_tool_calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`source_name` text NOT NULL,
	`tool` text NOT NULL,
	`statement` text NOT NULL,
	`rows_returned` integer DEFAULT 0 NOT NULL,
	`duration_ms` integer DEFAULT 0 NOT NULL,
	`refused` integer DEFAULT false NOT NULL,
	`reason` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `data_tool_calls_team_created` ON `data_tool_calls` (`team_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `data_tool_calls_team_channel_created` ON `data_tool_calls` (`team_id`,`channel_id`,`created_at`);