CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`process_started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `jobs` ADD `stop_requested_by` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `stop_control_ts` text;