CREATE TABLE `directory_sync_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`mode` text NOT NULL,
	`state` text NOT NULL,
	`started_by_user_id` text,
	`persons_modified_since` text,
	`newest_modify_timestamp` text,
	`resume_after_hsa_id` text,
	`counts` text DEFAULT '{}' NOT NULL,
	`report` text DEFAULT '{}' NOT NULL,
	`fault_code` text,
	`fault_message` text,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`started_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "directory_sync_runs_kind" CHECK(kind in ('full', 'incremental')),
	CONSTRAINT "directory_sync_runs_mode" CHECK(mode in ('preview', 'apply')),
	CONSTRAINT "directory_sync_runs_state" CHECK(state in ('running', 'completed', 'failed', 'interrupted'))
);
--> statement-breakpoint
CREATE INDEX `directory_sync_runs_started_idx` ON `directory_sync_runs` (`started_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `directory_sync_runs_one_running` ON `directory_sync_runs` (`state`) WHERE "directory_sync_runs"."state" = 'running';--> statement-breakpoint
CREATE TABLE `reminder_deliveries` (
	`kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`period` text NOT NULL,
	`mail_id` integer,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `subject_id`, `period`),
	FOREIGN KEY (`mail_id`) REFERENCES `mail_outbox`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "reminder_deliveries_kind" CHECK(kind in ('eid_expiring', 'card_expiring', 'expiry_digest', 'reserve_stock_low', 'order_expiring', 'reserve_card_not_activated'))
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_staff_role_assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`unit_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "staff_role_assignments_role" CHECK(role in ('manager', 'contact_person', 'id_admin', 'support', 'system_admin', 'protected_identity_viewer')),
	CONSTRAINT "staff_role_assignments_unit_scope" CHECK(("__new_staff_role_assignments"."role" in ('manager', 'contact_person') and "__new_staff_role_assignments"."unit_id" is not null) or "__new_staff_role_assignments"."role" not in ('manager', 'contact_person'))
);
--> statement-breakpoint
INSERT INTO `__new_staff_role_assignments`("id", "user_id", "role", "unit_id", "created_at") SELECT "id", "user_id", "role", "unit_id", "created_at" FROM `staff_role_assignments`;--> statement-breakpoint
DROP TABLE `staff_role_assignments`;--> statement-breakpoint
ALTER TABLE `__new_staff_role_assignments` RENAME TO `staff_role_assignments`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `staff_role_assignments_unique` ON `staff_role_assignments` (`user_id`,`role`,`unit_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `staff_role_assignments_global_unique` ON `staff_role_assignments` (`user_id`,`role`) WHERE "staff_role_assignments"."unit_id" is null;--> statement-breakpoint
ALTER TABLE `persons` ADD `protected_identity` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `persons` ADD `left_at` integer;--> statement-breakpoint
ALTER TABLE `persons` ADD `last_seen_sync_run_id` text;--> statement-breakpoint
CREATE INDEX `persons_left_idx` ON `persons` (`left_at`);--> statement-breakpoint
ALTER TABLE `units` ADD `low_stock_reminded_at` integer;--> statement-breakpoint
ALTER TABLE `units` ADD `last_seen_sync_run_id` text;--> statement-breakpoint
ALTER TABLE `units` ADD `gone_from_directory_at` integer;