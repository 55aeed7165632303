CREATE TABLE `daily_usage` (
	`team_id` text NOT NULL,
	`day` text NOT NULL,
	`tokens` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`team_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `job_users` (
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`last_claimed_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `turns_team_user_created` ON `turns` (`team_id`,`user_id`,`created_at`);