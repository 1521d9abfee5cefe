DROP INDEX "orders_person_idx";--> statement-breakpoint
DROP INDEX "persons_name_idx";--> statement-breakpoint
CREATE INDEX "orders_person_idx" ON "orders" USING btree ("person_id","type","state","unit_id","created_at","id");--> statement-breakpoint
CREATE INDEX "persons_name_idx" ON "persons" USING btree ("surname","given_name","id");