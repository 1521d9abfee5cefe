CREATE TABLE "assisted_unlocks" (
	"id" text PRIMARY KEY NOT NULL,
	"support_code_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"agent_session_id" text NOT NULL,
	"person_id" text NOT NULL,
	"staff_user_id" text NOT NULL,
	"state" text NOT NULL,
	"paired_at" bigint NOT NULL,
	"identity_check_method" text,
	"document_type" text,
	"document_number_end" text,
	"identity_checked_at" bigint,
	"card_id" text,
	"ended_at" bigint,
	CONSTRAINT "assisted_unlocks_state" CHECK (state in ('paired', 'running', 'succeeded', 'failed', 'ended')),
	CONSTRAINT "assisted_unlocks_method" CHECK (identity_check_method is null or identity_check_method in ('id_document', 'video_call'))
);
--> statement-breakpoint
CREATE TABLE "support_codes" (
	"id" text PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"agent_id" text NOT NULL,
	"agent_session_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint
);
--> statement-breakpoint
ALTER TABLE "staff_role_assignments" DROP CONSTRAINT "staff_role_assignments_role";--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "assisted_unlock_id" text;--> statement-breakpoint
ALTER TABLE "assisted_unlocks" ADD CONSTRAINT "assisted_unlocks_support_code_id_support_codes_id_fk" FOREIGN KEY ("support_code_id") REFERENCES "public"."support_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_unlocks" ADD CONSTRAINT "assisted_unlocks_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_unlocks" ADD CONSTRAINT "assisted_unlocks_agent_session_id_agent_sessions_id_fk" FOREIGN KEY ("agent_session_id") REFERENCES "public"."agent_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_unlocks" ADD CONSTRAINT "assisted_unlocks_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_unlocks" ADD CONSTRAINT "assisted_unlocks_staff_user_id_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_unlocks" ADD CONSTRAINT "assisted_unlocks_card_id_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_codes" ADD CONSTRAINT "support_codes_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_codes" ADD CONSTRAINT "support_codes_agent_session_id_agent_sessions_id_fk" FOREIGN KEY ("agent_session_id") REFERENCES "public"."agent_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assisted_unlocks_person_idx" ON "assisted_unlocks" USING btree ("person_id","paired_at");--> statement-breakpoint
CREATE UNIQUE INDEX "support_codes_code_hash_idx" ON "support_codes" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "support_codes_agent_session_idx" ON "support_codes" USING btree ("agent_session_id");--> statement-breakpoint
ALTER TABLE "staff_role_assignments" ADD CONSTRAINT "staff_role_assignments_role" CHECK (role in ('manager', 'contact_person', 'id_admin', 'support', 'system_admin', 'protected_identity_viewer', 'unlock_assistant'));