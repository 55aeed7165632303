CREATE TABLE `digest_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`local_date` text NOT NULL,
	`status` text NOT NULL,
	`parent_ts` text,
	`error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `digest_runs_team_channel_date` ON `digest_runs` (`team_id`,`channel_id`,`local_date`);--> statement-breakpoint
CREATE TABLE `digest_settings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`time` text,
	`time_zone` text,
	`updated_by` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `digest_settings_team_channel` ON `digest_settings` (`team_id`,`channel_id`);--> statement-breakpoint
CREATE INDEX `tasks_team_channel_status` ON `tasks` (`team_id`,`channel_id`,`status`);--> statement-breakpoint
CREATE INDEX `tasks_team_channel_completed` ON `tasks` (`team_id`,`channel_id`,`completed_at`);--> statement-breakpoint
CREATE INDEX `turns_team_created` ON `turns` (`team_id`,`created_at`);