CREATE TABLE "directory_sync_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"mode" text NOT NULL,
	"state" text NOT NULL,
	"started_by_user_id" text,
	"persons_modified_since" text,
	"newest_modify_timestamp" text,
	"resume_after_hsa_id" text,
	"counts" text DEFAULT '{}' NOT NULL,
	"report" text DEFAULT '{}' NOT NULL,
	"fault_code" text,
	"fault_message" text,
	"started_at" bigint NOT NULL,
	"heartbeat_at" bigint NOT NULL,
	"finished_at" bigint,
	CONSTRAINT "directory_sync_runs_kind" CHECK (kind in ('full', 'incremental')),
	CONSTRAINT "directory_sync_runs_mode" CHECK (mode in ('preview', 'apply')),
	CONSTRAINT "directory_sync_runs_state" CHECK (state in ('running', 'completed', 'failed', 'interrupted'))
);
--> statement-breakpoint
CREATE TABLE "reminder_deliveries" (
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"period" text NOT NULL,
	"mail_id" bigint,
	"sent_at" bigint NOT NULL,
	CONSTRAINT "reminder_deliveries_kind_subject_id_period_pk" PRIMARY KEY("kind","subject_id","period"),
	CONSTRAINT "reminder_deliveries_kind" CHECK (kind in ('eid_expiring', 'card_expiring', 'expiry_digest', 'reserve_stock_low', 'order_expiring', 'reserve_card_not_activated'))
);
--> statement-breakpoint
ALTER TABLE "staff_role_assignments" DROP CONSTRAINT "staff_role_assignments_role";--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "protected_identity" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "left_at" bigint;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "last_seen_sync_run_id" text;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "low_stock_reminded_at" bigint;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "last_seen_sync_run_id" text;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "gone_from_directory_at" bigint;--> statement-breakpoint
ALTER TABLE "directory_sync_runs" ADD CONSTRAINT "directory_sync_runs_started_by_user_id_users_id_fk" FOREIGN KEY ("started_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reminder_deliveries" ADD CONSTRAINT "reminder_deliveries_mail_id_mail_outbox_id_fk" FOREIGN KEY ("mail_id") REFERENCES "public"."mail_outbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "directory_sync_runs_started_idx" ON "directory_sync_runs" USING btree ("started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "directory_sync_runs_one_running" ON "directory_sync_runs" USING btree ("state") WHERE "directory_sync_runs"."state" = 'running';--> statement-breakpoint
CREATE INDEX "persons_left_idx" ON "persons" USING btree ("left_at");--> statement-breakpoint
ALTER TABLE "staff_role_assignments" ADD CONSTRAINT "staff_role_assignments_role" CHECK (role in ('manager', 'contact_person', 'id_admin', 'support', 'system_admin', 'protected_identity_viewer'));