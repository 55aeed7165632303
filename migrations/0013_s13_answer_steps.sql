CREATE TABLE `answer_steps` (
	`team_id` text NOT NULL,
	`turn_id` integer NOT NULL,
	`step` text NOT NULL,
	`position` integer NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`results` text,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`turn_id`, `step`),
	FOREIGN KEY (`turn_id`) REFERENCES `turns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `answer_steps_team_turn` ON `answer_steps` (`team_id`,`turn_id`);