DROP INDEX `orders_created_idx`;--> statement-breakpoint
CREATE INDEX `orders_list_idx` ON `orders` (`created_at`,`unit_id`,`state`,`type`);--> statement-breakpoint
CREATE INDEX `orders_scope_idx` ON `orders` (`unit_id`,`state`,`type`,`created_at`);