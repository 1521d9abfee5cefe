CREATE TABLE "agent_challenges" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"challenge" text NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_enrolment_codes" (
	"id" text PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"computer_name" text,
	"uses_allowed" integer NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"created_by_user_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"withdrawn_at" bigint,
	CONSTRAINT "agent_enrolment_codes_uses" CHECK (uses_allowed >= 1 and uses >= 0 and uses <= uses_allowed)
);
--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "hostname" text;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "os" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "public_key" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "enrolled_at" bigint;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "enrolment_code_id" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "enrolled_by_user_id" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "revoked_at" bigint;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "revoked_by_user_id" text;--> statement-breakpoint
ALTER TABLE "agent_challenges" ADD CONSTRAINT "agent_challenges_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_enrolment_codes" ADD CONSTRAINT "agent_enrolment_codes_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_challenges_challenge_idx" ON "agent_challenges" USING btree ("challenge");--> statement-breakpoint
CREATE INDEX "agent_challenges_expires_idx" ON "agent_challenges" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_enrolment_codes_code_hash_idx" ON "agent_enrolment_codes" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "agent_enrolment_codes_created_idx" ON "agent_enrolment_codes" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_enrolment_code_id_agent_enrolment_codes_id_fk" FOREIGN KEY ("enrolment_code_id") REFERENCES "public"."agent_enrolment_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_enrolled_by_user_id_users_id_fk" FOREIGN KEY ("enrolled_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_revoked_by_user_id_users_id_fk" FOREIGN KEY ("revoked_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_public_key_unique" UNIQUE("public_key");