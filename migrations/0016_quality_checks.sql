CREATE TABLE `check_runs` (
	`team_id` text NOT NULL,
	`check_id` integer NOT NULL,
	`slot_at` integer NOT NULL,
	`result` text,
	`observed` text,
	`action` text,
	`announced_ts` text,
	`acknowledged_by` text,
	`false_positive` integer DEFAULT false NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	PRIMARY KEY(`check_id`, `slot_at`),
	FOREIGN KEY (`check_id`) REFERENCES `quality_checks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `check_runs_team_check` ON `check_runs` (`team_id`,`check_id`);--> statement-breakpoint
CREATE INDEX `check_runs_result_started` ON `check_runs` (`result`,`started_at`);--> statement-breakpoint
CREATE TABLE `proposed_checks` (
	`team_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`name` text NOT NULL,
	`sql` text NOT NULL,
	`expectation` text NOT NULL,
	`severity` text NOT NULL,
	`sandbox_observed` text NOT NULL,
	`sandbox_passed` integer NOT NULL,
	`offered_turn_id` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `task_id`, `name`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `quality_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`task_id` integer NOT NULL,
	`thread_ts` text NOT NULL,
	`name` text NOT NULL,
	`sql` text NOT NULL,
	`expectation` text NOT NULL,
	`severity` text NOT NULL,
	`source_name` text NOT NULL,
	`schedule` text NOT NULL,
	`time_zone` text NOT NULL,
	`adopted_by` text NOT NULL,
	`adopted_at` integer NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`last_slot_at` integer NOT NULL,
	`alert` text NOT NULL,
	`snoozed_until` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quality_checks_team_channel_name` ON `quality_checks` (`team_id`,`channel_id`,`name`);--> statement-breakpoint
CREATE INDEX `quality_checks_state` ON `quality_checks` (`state`,`last_slot_at`);--> statement-breakpoint
CREATE INDEX `quality_checks_team_adopter` ON `quality_checks` (`team_id`,`adopted_by`);