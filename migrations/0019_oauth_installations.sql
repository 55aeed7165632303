CREATE TABLE `enterprise_workspaces` (
	`team_id` text PRIMARY KEY NOT NULL,
	`enterprise_id` text NOT NULL,
	`seen_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `installations` (
	`installation_key` text PRIMARY KEY NOT NULL,
	`enterprise_id` text,
	`team_id` text,
	`is_enterprise_install` integer DEFAULT false NOT NULL,
	`app_id` text,
	`bot_id` text NOT NULL,
	`bot_user_id` text NOT NULL,
	`bot_scopes` text NOT NULL,
	`bot_token_sealed` text NOT NULL,
	`token_key_id` text NOT NULL,
	`installer_user_id` text,
	`url` text,
	`installed_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `installations_team` ON `installations` (`team_id`);--> statement-breakpoint
CREATE INDEX `installations_enterprise` ON `installations` (`enterprise_id`);