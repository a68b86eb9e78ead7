ALTER TABLE "indicators" ADD COLUMN "owner_organisation_id" uuid;--> statement-breakpoint
ALTER TABLE "indicators" ADD COLUMN "sharing" text DEFAULT 'public' NOT NULL;--> statement-breakpoint
ALTER TABLE "indicators" ADD COLUMN "aggregation" text;--> statement-breakpoint
ALTER TABLE "indicators" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "indicators" ADD COLUMN "uploaded_by" uuid;--> statement-breakpoint
ALTER TABLE "indicators" ADD COLUMN "uploaded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "indicators_owner_idx" ON "indicators" USING btree ("owner_organisation_id");--> statement-breakpoint
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_sharing_check" CHECK (sharing in ('public', 'partners', 'organisation'));--> statement-breakpoint
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_aggregation_check" CHECK (aggregation is null or aggregation in ('sum', 'population-weighted-mean'));