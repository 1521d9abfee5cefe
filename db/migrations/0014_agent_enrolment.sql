CREATE TABLE `agent_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`challenge` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_challenges_challenge_idx` ON `agent_challenges` (`challenge`);--> statement-breakpoint
CREATE INDEX `agent_challenges_expires_idx` ON `agent_challenges` (`expires_at`);--> statement-breakpoint
CREATE TABLE `agent_enrolment_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`computer_name` text,
	`uses_allowed` integer NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`created_by_user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`withdrawn_at` integer,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "agent_enrolment_codes_uses" CHECK(uses_allowed >= 1 and uses >= 0 and uses <= uses_allowed)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_enrolment_codes_code_hash_idx` ON `agent_enrolment_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `agent_enrolment_codes_created_idx` ON `agent_enrolment_codes` (`created_at`);--> statement-breakpoint
ALTER TABLE `agent_sessions` ADD `hostname` text;--> statement-breakpoint
ALTER TABLE `agent_sessions` ADD `os` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `public_key` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `enrolled_at` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `enrolment_code_id` text REFERENCES agent_enrolment_codes(id);--> statement-breakpoint
ALTER TABLE `agents` ADD `enrolled_by_user_id` text REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `agents` ADD `revoked_at` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `revoked_by_user_id` text REFERENCES users(id);--> statement-breakpoint
CREATE UNIQUE INDEX `agents_public_key_unique` ON `agents` (`public_key`);