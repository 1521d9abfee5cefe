CREATE TABLE `signed_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text NOT NULL,
	`statement` text NOT NULL,
	`signature` text NOT NULL,
	`certificate_der` text NOT NULL,
	`signer_user_id` text NOT NULL,
	`signer_person_id` text NOT NULL,
	`method` text NOT NULL,
	`credential` text NOT NULL,
	`auth_order_id` text NOT NULL,
	`audit_event_id` integer,
	`signed_at` integer NOT NULL,
	FOREIGN KEY (`signer_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`signer_person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`auth_order_id`) REFERENCES `auth_orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`audit_event_id`) REFERENCES `audit_events`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "signed_decisions_kind" CHECK(kind in ('order_second_approval', 'revocation', 'role_grant')),
	CONSTRAINT "signed_decisions_method" CHECK(method in ('mobile_siths', 'card'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `signed_decisions_auth_order_id_unique` ON `signed_decisions` (`auth_order_id`);--> statement-breakpoint
CREATE INDEX `signed_decisions_object_idx` ON `signed_decisions` (`object_type`,`object_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_auth_orders` (
	`id` text PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`method` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`collect_secret_hash` text NOT NULL,
	`qr_start_token` text,
	`qr_start_secret` text,
	`auto_start_token_hash` text,
	`challenge` text NOT NULL,
	`expected_person_id` text,
	`card_id` text,
	`session_id` text,
	`person_id` text,
	`mobile_device_id` text,
	`card_serial` text,
	`agent_id` text,
	`job_id` text,
	`error_code` text,
	`error_message` text,
	`remote_address` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`completed_at` integer,
	`statement` text,
	`signature` text,
	`signer_certificate` text,
	FOREIGN KEY (`expected_person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `cards`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`mobile_device_id`) REFERENCES `mobile_devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "auth_orders_purpose" CHECK(purpose in ('login', 'unlock_reauth', 'reserve_registration', 'unlock', 'activate', 'sign_decision')),
	CONSTRAINT "auth_orders_method" CHECK(method in ('mobile_siths', 'card')),
	CONSTRAINT "auth_orders_state" CHECK(state in ('pending', 'scanned', 'completed', 'failed', 'cancelled', 'expired', 'collected'))
);
--> statement-breakpoint
INSERT INTO `__new_auth_orders`("id", "purpose", "method", "state", "collect_secret_hash", "qr_start_token", "qr_start_secret", "auto_start_token_hash", "challenge", "expected_person_id", "card_id", "session_id", "person_id", "mobile_device_id", "card_serial", "agent_id", "job_id", "error_code", "error_message", "remote_address", "created_at", "expires_at", "completed_at") SELECT "id", "purpose", "method", "state", "collect_secret_hash", "qr_start_token", "qr_start_secret", "auto_start_token_hash", "challenge", "expected_person_id", "card_id", "session_id", "person_id", "mobile_device_id", "card_serial", "agent_id", "job_id", "error_code", "error_message", "remote_address", "created_at", "expires_at", "completed_at" FROM `auth_orders`;--> statement-breakpoint
DROP TABLE `auth_orders`;--> statement-breakpoint
ALTER TABLE `__new_auth_orders` RENAME TO `auth_orders`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `auth_orders_qr_start_token_unique` ON `auth_orders` (`qr_start_token`);--> statement-breakpoint
CREATE UNIQUE INDEX `auth_orders_auto_start_token_hash_unique` ON `auth_orders` (`auto_start_token_hash`);--> statement-breakpoint
CREATE INDEX `auth_orders_state_expires_idx` ON `auth_orders` (`state`,`expires_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `password_login` text;--> statement-breakpoint
CREATE INDEX `sessions_login_credential_idx` ON `sessions` (`login_credential`);--> statement-breakpoint
CREATE TRIGGER signed_decisions_no_update BEFORE UPDATE ON signed_decisions
BEGIN
  SELECT RAISE(ABORT, 'signed_decisions is append-only');
END;--> statement-breakpoint
CREATE TRIGGER signed_decisions_no_delete BEFORE DELETE ON signed_decisions
BEGIN
  SELECT RAISE(ABORT, 'signed_decisions is append-only');
END;
