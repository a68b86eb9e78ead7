DROP INDEX "directory_services_search_idx";--> statement-breakpoint
CREATE INDEX "directory_organisations_name_search_idx" ON "directory_organisations" USING gin (to_tsvector('english'::regconfig, "name")) WITH (fastupdate=false);--> statement-breakpoint
CREATE INDEX "directory_services_search_idx" ON "directory_services" USING gin ("search") WITH (fastupdate=false);