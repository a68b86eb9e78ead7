CREATE TABLE "composite_indexes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"edition_id" text NOT NULL,
	"level" text NOT NULL,
	"lad_codes" text[] NOT NULL,
	"indicators" jsonb NOT NULL,
	"sharing" text DEFAULT 'organisation' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "composite_indexes_level_check" CHECK (level in ('ward', 'lsoa')),
	CONSTRAINT "composite_indexes_sharing_check" CHECK (sharing in ('public', 'partners', 'organisation'))
);
--> statement-breakpoint
ALTER TABLE "composite_indexes" ADD CONSTRAINT "composite_indexes_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "composite_indexes" ADD CONSTRAINT "composite_indexes_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "composite_indexes" ADD CONSTRAINT "composite_indexes_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "composite_indexes_owner_idx" ON "composite_indexes" USING btree ("owner_organisation_id");