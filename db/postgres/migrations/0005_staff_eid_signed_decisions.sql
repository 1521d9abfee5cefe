CREATE TABLE "signed_decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"object_type" text NOT NULL,
	"object_id" text NOT NULL,
	"statement" text NOT NULL,
	"signature" text NOT NULL,
	"certificate_der" text NOT NULL,
	"signer_user_id" text NOT NULL,
	"signer_person_id" text NOT NULL,
	"method" text NOT NULL,
	"credential" text NOT NULL,
	"auth_order_id" text NOT NULL,
	"audit_event_id" bigint,
	"signed_at" bigint NOT NULL,
	CONSTRAINT "signed_decisions_auth_order_id_unique" UNIQUE("auth_order_id"),
	CONSTRAINT "signed_decisions_kind" CHECK (kind in ('order_second_approval', 'revocation', 'role_grant')),
	CONSTRAINT "signed_decisions_method" CHECK (method in ('mobile_siths', 'card'))
);
--> statement-breakpoint
ALTER TABLE "auth_orders" DROP CONSTRAINT "auth_orders_purpose";--> statement-breakpoint
ALTER TABLE "auth_orders" ADD COLUMN "statement" text;--> statement-breakpoint
ALTER TABLE "auth_orders" ADD COLUMN "signature" text;--> statement-breakpoint
ALTER TABLE "auth_orders" ADD COLUMN "signer_certificate" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_login" text;--> statement-breakpoint
ALTER TABLE "signed_decisions" ADD CONSTRAINT "signed_decisions_signer_user_id_users_id_fk" FOREIGN KEY ("signer_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signed_decisions" ADD CONSTRAINT "signed_decisions_signer_person_id_persons_id_fk" FOREIGN KEY ("signer_person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signed_decisions" ADD CONSTRAINT "signed_decisions_auth_order_id_auth_orders_id_fk" FOREIGN KEY ("auth_order_id") REFERENCES "public"."auth_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signed_decisions" ADD CONSTRAINT "signed_decisions_audit_event_id_audit_events_id_fk" FOREIGN KEY ("audit_event_id") REFERENCES "public"."audit_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signed_decisions_object_idx" ON "signed_decisions" USING btree ("object_type","object_id");--> statement-breakpoint
CREATE INDEX "sessions_login_credential_idx" ON "sessions" USING btree ("login_credential");--> statement-breakpoint
ALTER TABLE "auth_orders" ADD CONSTRAINT "auth_orders_purpose" CHECK (purpose in ('login', 'unlock_reauth', 'reserve_registration', 'unlock', 'activate', 'sign_decision'));--> statement-breakpoint
CREATE TRIGGER signed_decisions_no_update BEFORE UPDATE ON signed_decisions
  FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change();--> statement-breakpoint
CREATE TRIGGER signed_decisions_no_delete BEFORE DELETE ON signed_decisions
  FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change();--> statement-breakpoint
CREATE TRIGGER signed_decisions_no_truncate BEFORE TRUNCATE ON signed_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change();
