CREATE TABLE `answer_feedback` (
	`team_id` text NOT NULL,
	`turn_id` integer NOT NULL,
	`task_id` integer NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`vote` text NOT NULL,
	`comment` text,
	`changes` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `turn_id`, `user_id`),
	FOREIGN KEY (`turn_id`) REFERENCES `turns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `answer_feedback_team_channel_updated` ON `answer_feedback` (`team_id`,`channel_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `assistant_threads` (
	`team_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`thread_ts` text NOT NULL,
	`user_id` text NOT NULL,
	`context_channel_id` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`team_id`, `channel_id`, `thread_ts`)
);
--> statement-breakpoint
CREATE INDEX `assistant_threads_team_created` ON `assistant_threads` (`team_id`,`created_at`);