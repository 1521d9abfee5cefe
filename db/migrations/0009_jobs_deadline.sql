ALTER TABLE `jobs` ADD `deadline_at` integer;--> statement-breakpoint
CREATE INDEX `jobs_state_deadline_idx` ON `jobs` (`state`,`deadline_at`);