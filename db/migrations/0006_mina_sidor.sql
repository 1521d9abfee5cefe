CREATE TABLE `auth_orders` (
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
	FOREIGN KEY (`expected_person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `cards`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`mobile_device_id`) REFERENCES `mobile_devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "auth_orders_purpose" CHECK(purpose in ('login', 'unlock_reauth', 'reserve_registration', 'unlock', 'activate')),
	CONSTRAINT "auth_orders_method" CHECK(method in ('mobile_siths', 'card')),
	CONSTRAINT "auth_orders_state" CHECK(state in ('pending', 'scanned', 'completed', 'failed', 'cancelled', 'expired', 'collected'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `auth_orders_qr_start_token_unique` ON `auth_orders` (`qr_start_token`);--> statement-breakpoint
CREATE UNIQUE INDEX `auth_orders_auto_start_token_hash_unique` ON `auth_orders` (`auto_start_token_hash`);--> statement-breakpoint
CREATE INDEX `auth_orders_state_expires_idx` ON `auth_orders` (`state`,`expires_at`);--> statement-breakpoint
CREATE TABLE `certificate_authorities` (
	`id` text PRIMARY KEY NOT NULL,
	`parent_id` text,
	`name` text NOT NULL,
	`certificate_pem` text NOT NULL,
	`encrypted_private_key` text NOT NULL,
	`next_crl_number` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mobile_enrolments` (
	`id` text PRIMARY KEY NOT NULL,
	`person_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`session_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`mobile_device_id` text,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`mobile_device_id`) REFERENCES `mobile_devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mobile_enrolments_token_hash_unique` ON `mobile_enrolments` (`token_hash`);--> statement-breakpoint
CREATE INDEX `mobile_enrolments_person_idx` ON `mobile_enrolments` (`person_id`,`created_at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_eids` (
	`id` text PRIMARY KEY NOT NULL,
	`person_id` text,
	`card_id` text,
	`mobile_device_id` text,
	`purpose` text NOT NULL,
	`issuing_ca` text NOT NULL,
	`certificate_serial` text NOT NULL,
	`certificate_pem` text,
	`trust_level` integer NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_to` integer NOT NULL,
	`revoked_at` integer,
	`revocation_reason` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `cards`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`mobile_device_id`) REFERENCES `mobile_devices`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "eids_purpose" CHECK(purpose in ('authentication', 'signature', 'card_authentication', 'transport')),
	CONSTRAINT "eids_state" CHECK(state in ('active', 'revoked', 'expired')),
	CONSTRAINT "eids_trust_level" CHECK("__new_eids"."trust_level" in (2, 3)),
	CONSTRAINT "eids_person_unless_transport" CHECK("__new_eids"."person_id" is not null or "__new_eids"."purpose" = 'transport'),
	CONSTRAINT "eids_one_holder" CHECK(("__new_eids"."card_id" is null) <> ("__new_eids"."mobile_device_id" is null)),
	CONSTRAINT "eids_revocation_recorded" CHECK(("__new_eids"."state" = 'revoked') = ("__new_eids"."revoked_at" is not null and "__new_eids"."revocation_reason" is not null))
);
--> statement-breakpoint
INSERT INTO `__new_eids`("id", "person_id", "card_id", "mobile_device_id", "purpose", "issuing_ca", "certificate_serial", "certificate_pem", "trust_level", "state", "valid_from", "valid_to", "revoked_at", "revocation_reason", "created_at") SELECT "id", "person_id", "card_id", "mobile_device_id", "purpose", "issuing_ca", "certificate_serial", "certificate_pem", "trust_level", "state", "valid_from", "valid_to", "revoked_at", "revocation_reason", "created_at" FROM `eids`;--> statement-breakpoint
DROP TABLE `eids`;--> statement-breakpoint
ALTER TABLE `__new_eids` RENAME TO `eids`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `eids_issuer_serial_unique` ON `eids` (`issuing_ca`,`certificate_serial`);--> statement-breakpoint
CREATE INDEX `eids_person_idx` ON `eids` (`person_id`);--> statement-breakpoint
CREATE INDEX `eids_card_idx` ON `eids` (`card_id`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `auth_order_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `eid_order_id` text REFERENCES orders(id);--> statement-breakpoint
ALTER TABLE `jobs` ADD `challenge` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `issued_certificates` text;--> statement-breakpoint
ALTER TABLE `mail_outbox` ADD `next_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `mobile_devices` ADD `code_hash` text;--> statement-breakpoint
ALTER TABLE `mobile_devices` ADD `failed_code_attempts` integer DEFAULT 0 NOT NULL;