CREATE TABLE "neighbourhood_layers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"purpose" text NOT NULL,
	"description" text,
	"sharing" text DEFAULT 'organisation' NOT NULL,
	"source" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "neighbourhood_layers_sharing_check" CHECK (sharing in ('public', 'partners', 'organisation'))
);
--> statement-breakpoint
CREATE TABLE "resident_drawings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"mapping_id" uuid NOT NULL,
	"method" text NOT NULL,
	"boundary" geometry(MultiPolygon,4326) NOT NULL,
	"area_sq_km" double precision NOT NULL,
	"place_codes" text[],
	"walk_minutes" integer,
	"anchors" text[] DEFAULT '{}'::text[] NOT NULL,
	"other_anchor" text,
	"submitted_on" date DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resident_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"place" text NOT NULL,
	"lad_code" text NOT NULL,
	"introduction" text,
	"results_sharing" text DEFAULT 'organisation' NOT NULL,
	"open" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resident_mappings_sharing_check" CHECK (results_sharing in ('public', 'partners', 'organisation'))
);
--> statement-breakpoint
ALTER TABLE "neighbourhoods" ADD COLUMN "layer_id" uuid;--> statement-breakpoint
ALTER TABLE "neighbourhoods" ADD COLUMN "code" text;--> statement-breakpoint
ALTER TABLE "neighbourhood_layers" ADD CONSTRAINT "neighbourhood_layers_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "neighbourhood_layers" ADD CONSTRAINT "neighbourhood_layers_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_drawings" ADD CONSTRAINT "resident_drawings_mapping_id_resident_mappings_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "public"."resident_mappings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_mappings" ADD CONSTRAINT "resident_mappings_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_mappings" ADD CONSTRAINT "resident_mappings_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "neighbourhood_layers_owner_idx" ON "neighbourhood_layers" USING btree ("owner_organisation_id");--> statement-breakpoint
CREATE INDEX "resident_drawings_mapping_idx" ON "resident_drawings" USING btree ("mapping_id");--> statement-breakpoint
CREATE INDEX "resident_mappings_owner_idx" ON "resident_mappings" USING btree ("owner_organisation_id");--> statement-breakpoint
ALTER TABLE "neighbourhoods" ADD CONSTRAINT "neighbourhoods_layer_id_neighbourhood_layers_id_fk" FOREIGN KEY ("layer_id") REFERENCES "public"."neighbourhood_layers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "neighbourhoods_layer_idx" ON "neighbourhoods" USING btree ("layer_id");