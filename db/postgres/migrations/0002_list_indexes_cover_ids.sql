DROP INDEX "orders_state_created_idx";--> statement-breakpoint
DROP INDEX "orders_person_idx";--> statement-breakpoint
DROP INDEX "orders_placed_by_idx";--> statement-breakpoint
DROP INDEX "persons_name_idx";--> statement-breakpoint
CREATE INDEX "orders_state_created_idx" ON "orders" USING btree ("state","created_at","id");--> statement-breakpoint
CREATE INDEX "orders_person_idx" ON "orders" USING btree ("person_id","type","state","unit_id","created_at","id");--> statement-breakpoint
CREATE INDEX "orders_placed_by_idx" ON "orders" USING btree ("placed_by_user_id","unit_id","created_at","id");--> statement-breakpoint
CREATE INDEX "persons_name_idx" ON "persons" USING btree ("surname","given_name","id");