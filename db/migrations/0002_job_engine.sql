PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_job_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`step` text NOT NULL,
	`outcome` text NOT NULL,
	`detail` text,
	`at` integer NOT NULL,
	`duration_ms` integer,
	`progress` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "job_steps_outcome" CHECK("__new_job_steps"."outcome" in ('started', 'succeeded', 'failed'))
);
--> statement-breakpoint
INSERT INTO `__new_job_steps`("id", "job_id", "sequence", "step", "outcome", "detail", "at") SELECT "id", "job_id", "sequence", "step", "outcome", "detail", "at" FROM `job_steps`;--> statement-breakpoint
DROP TABLE `job_steps`;--> statement-breakpoint
ALTER TABLE `__new_job_steps` RENAME TO `job_steps`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `job_steps_job_sequence_unique` ON `job_steps` (`job_id`,`sequence`);--> statement-breakpoint
CREATE TABLE `__new_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`agent_id` text,
	`agent_session_id` text,
	`reader_name` text,
	`card_serial` text,
	`person_id` text,
	`created_by_user_id` text,
	`created_by_session_id` text,
	`retry_of_job_id` text,
	`current_step` text,
	`progress` integer DEFAULT 0 NOT NULL,
	`last_sequence` integer DEFAULT 0 NOT NULL,
	`error_code` text,
	`error_message` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_session_id`) REFERENCES `agent_sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "jobs_state" CHECK(state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
	CONSTRAINT "jobs_progress" CHECK("__new_jobs"."progress" between 0 and 100),
	CONSTRAINT "jobs_finished" CHECK(("__new_jobs"."state" in ('succeeded', 'failed', 'cancelled')) = ("__new_jobs"."finished_at" is not null))
);
--> statement-breakpoint
INSERT INTO `__new_jobs`("id", "kind", "state", "agent_id", "card_serial", "person_id", "created_by_user_id", "last_sequence", "error_code", "created_at", "finished_at", "updated_at") SELECT "id", "kind", "state", "agent_id", "card_serial", "person_id", "created_by_user_id", "last_sequence", "error_code", "created_at", "finished_at", "created_at" FROM `jobs`;--> statement-breakpoint
DROP TABLE `jobs`;--> statement-breakpoint
ALTER TABLE `__new_jobs` RENAME TO `jobs`;--> statement-breakpoint
CREATE INDEX `jobs_state_created_idx` ON `jobs` (`state`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_agent_idx` ON `jobs` (`agent_id`);--> statement-breakpoint
CREATE INDEX `jobs_card_serial_idx` ON `jobs` (`card_serial`);