ALTER TABLE "jobs" ADD COLUMN "deadline_at" bigint;--> statement-breakpoint
CREATE INDEX "jobs_state_deadline_idx" ON "jobs" USING btree ("state","deadline_at");