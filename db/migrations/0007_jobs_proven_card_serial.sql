ALTER TABLE `jobs` ADD `proven_card_serial` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `reported_card_serial` text;