CREATE TABLE `assisted_unlocks` (
	`id` text PRIMARY KEY NOT NULL,
	`support_code_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`agent_session_id` text NOT NULL,
	`person_id` text NOT NULL,
	`staff_user_id` text NOT NULL,
	`state` text NOT NULL,
	`paired_at` integer NOT NULL,
	`identity_check_method` text,
	`document_type` text,
	`document_number_end` text,
	`identity_checked_at` integer,
	`card_id` text,
	`ended_at` integer,
	FOREIGN KEY (`support_code_id`) REFERENCES `support_codes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_session_id`) REFERENCES `agent_sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`staff_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `cards`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "assisted_unlocks_state" CHECK(state in ('paired', 'running', 'succeeded', 'failed', 'ended')),
	CONSTRAINT "assisted_unlocks_method" CHECK(identity_check_method is null or identity_check_method in ('id_document', 'video_call'))
);
--> statement-breakpoint
CREATE INDEX `assisted_unlocks_person_idx` ON `assisted_unlocks` (`person_id`,`paired_at`);--> statement-breakpoint
CREATE TABLE `support_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`agent_id` text NOT NULL,
	`agent_session_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_session_id`) REFERENCES `agent_sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `support_codes_code_hash_idx` ON `support_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `support_codes_agent_session_idx` ON `support_codes` (`agent_session_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_staff_role_assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`unit_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "staff_role_assignments_role" CHECK(role in ('manager', 'contact_person', 'id_admin', 'support', 'system_admin', 'protected_identity_viewer', 'unlock_assistant')),
	CONSTRAINT "staff_role_assignments_unit_scope" CHECK(("__new_staff_role_assignments"."role" in ('manager', 'contact_person') and "__new_staff_role_assignments"."unit_id" is not null) or "__new_staff_role_assignments"."role" not in ('manager', 'contact_person'))
);
--> statement-breakpoint
INSERT INTO `__new_staff_role_assignments`("id", "user_id", "role", "unit_id", "created_at") SELECT "id", "user_id", "role", "unit_id", "created_at" FROM `staff_role_assignments`;--> statement-breakpoint
DROP TABLE `staff_role_assignments`;--> statement-breakpoint
ALTER TABLE `__new_staff_role_assignments` RENAME TO `staff_role_assignments`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `staff_role_assignments_unique` ON `staff_role_assignments` (`user_id`,`role`,`unit_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `staff_role_assignments_global_unique` ON `staff_role_assignments` (`user_id`,`role`) WHERE "staff_role_assignments"."unit_id" is null;--> statement-breakpoint
ALTER TABLE `jobs` ADD `assisted_unlock_id` text;