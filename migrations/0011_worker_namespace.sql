ALTER TABLE `workers` ADD `pid_namespace` text;--> statement-breakpoint
ALTER TABLE `workers` ADD `boot_id` text;