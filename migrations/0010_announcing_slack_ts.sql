ALTER TABLE `collaboration_requests` ADD `announcing` text;--> statement-breakpoint
CREATE INDEX `turns_team_slack_ts` ON `turns` (`team_id`,`slack_ts`);