CREATE TABLE `agent_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`connected_at` integer NOT NULL,
	`disconnected_at` integer,
	`remote_address` text,
	`agent_version` text,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `agent_sessions_agent_idx` ON `agent_sessions` (`agent_id`,`connected_at`);--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`device_token_hash` text NOT NULL,
	`person_id` text,
	`last_seen_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_device_token_hash_unique` ON `agents` (`device_token_hash`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`actor_user_id` text,
	`actor_label` text NOT NULL,
	`action` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text,
	`unit_id` text,
	`outcome` text NOT NULL,
	`detail` text,
	FOREIGN KEY (`actor_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "audit_events_outcome" CHECK(outcome in ('success', 'refused', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `audit_events_at_idx` ON `audit_events` (`at`);--> statement-breakpoint
CREATE INDEX `audit_events_object_idx` ON `audit_events` (`object_type`,`object_id`);--> statement-breakpoint
CREATE INDEX `audit_events_actor_idx` ON `audit_events` (`actor_user_id`,`at`);--> statement-breakpoint
CREATE TABLE `cards` (
	`id` text PRIMARY KEY NOT NULL,
	`serial` text NOT NULL,
	`kind` text NOT NULL,
	`product_code` text NOT NULL,
	`trust_level` integer NOT NULL,
	`state` text NOT NULL,
	`holder_person_id` text,
	`unit_id` text NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_to` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`holder_person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "cards_serial_format" CHECK(length("cards"."serial") = 19 and "cards"."serial" not glob '*[^0-9]*'),
	CONSTRAINT "cards_kind" CHECK(kind in ('ordinary', 'reserve')),
	CONSTRAINT "cards_state" CHECK(state in ('in_stock', 'assigned', 'active', 'locked', 'revoked', 'expired')),
	CONSTRAINT "cards_trust_level" CHECK("cards"."trust_level" in (2, 3)),
	CONSTRAINT "cards_validity" CHECK("cards"."valid_to" > "cards"."valid_from"),
	CONSTRAINT "cards_holder_when_issued" CHECK("cards"."state" not in ('assigned', 'active', 'locked') or "cards"."holder_person_id" is not null),
	CONSTRAINT "cards_no_holder_in_stock" CHECK("cards"."state" <> 'in_stock' or "cards"."holder_person_id" is null),
	CONSTRAINT "cards_stock_only_reserve" CHECK("cards"."state" <> 'in_stock' or "cards"."kind" = 'reserve')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cards_serial_unique` ON `cards` (`serial`);--> statement-breakpoint
CREATE INDEX `cards_unit_state_idx` ON `cards` (`unit_id`,`state`);--> statement-breakpoint
CREATE INDEX `cards_holder_idx` ON `cards` (`holder_person_id`);--> statement-breakpoint
CREATE TABLE `eids` (
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
	CONSTRAINT "eids_purpose" CHECK(purpose in ('authentication', 'signature', 'transport')),
	CONSTRAINT "eids_state" CHECK(state in ('active', 'revoked', 'expired')),
	CONSTRAINT "eids_trust_level" CHECK("eids"."trust_level" in (2, 3)),
	CONSTRAINT "eids_person_unless_transport" CHECK("eids"."person_id" is not null or "eids"."purpose" = 'transport'),
	CONSTRAINT "eids_one_holder" CHECK(("eids"."card_id" is null) <> ("eids"."mobile_device_id" is null)),
	CONSTRAINT "eids_revocation_recorded" CHECK(("eids"."state" = 'revoked') = ("eids"."revoked_at" is not null and "eids"."revocation_reason" is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `eids_issuer_serial_unique` ON `eids` (`issuing_ca`,`certificate_serial`);--> statement-breakpoint
CREATE INDEX `eids_person_idx` ON `eids` (`person_id`);--> statement-breakpoint
CREATE INDEX `eids_card_idx` ON `eids` (`card_id`);--> statement-breakpoint
CREATE TABLE `job_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`step` text NOT NULL,
	`outcome` text NOT NULL,
	`detail` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_steps_job_sequence_unique` ON `job_steps` (`job_id`,`sequence`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`agent_id` text,
	`card_serial` text,
	`person_id` text,
	`created_by_user_id` text,
	`last_sequence` integer DEFAULT 0 NOT NULL,
	`error_code` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "jobs_state" CHECK(state in ('queued', 'running', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `jobs_state_created_idx` ON `jobs` (`state`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_agent_idx` ON `jobs` (`agent_id`);--> statement-breakpoint
CREATE TABLE `mail_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`recipient` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text NOT NULL,
	`html_body` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`sent_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `mail_outbox_unsent_idx` ON `mail_outbox` (`sent_at`,`created_at`);--> statement-breakpoint
CREATE TABLE `mobile_devices` (
	`id` text PRIMARY KEY NOT NULL,
	`person_id` text NOT NULL,
	`name` text NOT NULL,
	`public_key_spki` text NOT NULL,
	`trust_level` integer NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`valid_to` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "mobile_devices_state" CHECK(state in ('active', 'revoked')),
	CONSTRAINT "mobile_devices_trust_level" CHECK("mobile_devices"."trust_level" in (2, 3))
);
--> statement-breakpoint
CREATE INDEX `mobile_devices_person_idx` ON `mobile_devices` (`person_id`,`state`);--> statement-breakpoint
CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` text NOT NULL,
	`actor_user_id` text,
	`from_state` text,
	`to_state` text NOT NULL,
	`note` text,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`actor_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order_idx` ON `order_events` (`order_id`,`at`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`state` text DEFAULT 'placed' NOT NULL,
	`person_id` text NOT NULL,
	`unit_id` text NOT NULL,
	`placed_by_user_id` text NOT NULL,
	`card_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`placed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `cards`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_type" CHECK(type in ('eid_on_card', 'reserve_card_loa2', 'reserve_card_loa3', 'mobile')),
	CONSTRAINT "orders_state" CHECK(state in ('placed', 'awaiting_second_approval', 'ready', 'fulfilled', 'cancelled', 'expired')),
	CONSTRAINT "orders_second_approval_only_loa3" CHECK("orders"."state" <> 'awaiting_second_approval' or "orders"."type" = 'reserve_card_loa3')
);
--> statement-breakpoint
CREATE INDEX `orders_unit_created_idx` ON `orders` (`unit_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_state_created_idx` ON `orders` (`state`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_person_idx` ON `orders` (`person_id`,`type`,`state`);--> statement-breakpoint
CREATE INDEX `orders_placed_by_idx` ON `orders` (`placed_by_user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_card_unique` ON `orders` (`card_id`);--> statement-breakpoint
CREATE TABLE `person_units` (
	`person_id` text NOT NULL,
	`unit_id` text NOT NULL,
	PRIMARY KEY(`person_id`, `unit_id`),
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `person_units_unit_idx` ON `person_units` (`unit_id`);--> statement-breakpoint
CREATE TABLE `persons` (
	`id` text PRIMARY KEY NOT NULL,
	`hsa_id` text NOT NULL,
	`personal_identity_number` text,
	`given_name` text NOT NULL,
	`surname` text NOT NULL,
	`email` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	CONSTRAINT "persons_personal_identity_number_format" CHECK("persons"."personal_identity_number" is null or (length("persons"."personal_identity_number") = 12 and "persons"."personal_identity_number" not glob '*[^0-9]*'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `persons_hsa_id_unique` ON `persons` (`hsa_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `persons_personal_identity_number_unique` ON `persons` (`personal_identity_number`);--> statement-breakpoint
CREATE INDEX `persons_name_idx` ON `persons` (`surname`,`given_name`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`login_method` text DEFAULT 'password' NOT NULL,
	`login_credential` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "sessions_login_method" CHECK(login_method in ('password', 'mobile_siths', 'card'))
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `staff_role_assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`unit_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`unit_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "staff_role_assignments_role" CHECK(role in ('manager', 'contact_person', 'id_admin', 'support', 'system_admin')),
	CONSTRAINT "staff_role_assignments_unit_scope" CHECK(("staff_role_assignments"."role" in ('manager', 'contact_person') and "staff_role_assignments"."unit_id" is not null) or "staff_role_assignments"."role" not in ('manager', 'contact_person'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_role_assignments_unique` ON `staff_role_assignments` (`user_id`,`role`,`unit_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `staff_role_assignments_global_unique` ON `staff_role_assignments` (`user_id`,`role`) WHERE "staff_role_assignments"."unit_id" is null;--> statement-breakpoint
CREATE TABLE `units` (
	`id` text PRIMARY KEY NOT NULL,
	`hsa_id` text NOT NULL,
	`name` text NOT NULL,
	`parent_id` text,
	`organisation` text NOT NULL,
	`low_stock_threshold` integer DEFAULT 5 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`parent_id`) REFERENCES `units`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "units_low_stock_threshold_non_negative" CHECK("units"."low_stock_threshold" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `units_hsa_id_unique` ON `units` (`hsa_id`);--> statement-breakpoint
CREATE INDEX `units_parent_idx` ON `units` (`parent_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`person_id` text,
	`username` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text,
	`disabled_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "users_username_lowercase" CHECK("users"."username" = lower("users"."username"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_person_id_unique` ON `users` (`person_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);