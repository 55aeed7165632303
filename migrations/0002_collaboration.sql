CREATE TABLE `collaboration_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`channel_id` text NOT NULL,
	`thread_ts` text NOT NULL,
	`role` text NOT NULL,
	`topic` text NOT NULL,
	`topic_key` text NOT NULL,
	`request` text NOT NULL,
	`reason` text NOT NULL,
	`owner_kind` text,
	`owner_id` text,
	`status` text DEFAULT 'open' NOT NULL,
	`pinged_at` integer,
	`ping_ts` text,
	`guided_at` integer,
	`acknowledged_by` text,
	`acknowledged_at` integer,
	`done_by` text,
	`done_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `collaboration_team_task_role_topic` ON `collaboration_requests` (`team_id`,`task_id`,`role`,`topic_key`);--> statement-breakpoint
CREATE INDEX `collaboration_team_channel_status` ON `collaboration_requests` (`team_id`,`channel_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `collaboration_team_role_unassigned` ON `collaboration_requests` (`team_id`,`role`,`owner_id`,`status`);--> statement-breakpoint
CREATE TABLE `owners` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text DEFAULT '' NOT NULL,
	`role` text NOT NULL,
	`kind` text NOT NULL,
	`target_id` text NOT NULL,
	`set_by` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `owners_team_channel_role` ON `owners` (`team_id`,`channel_id`,`role`);