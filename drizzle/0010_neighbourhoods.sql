CREATE TABLE "neighbourhood_lsoas" (
	"version_id" uuid NOT NULL,
	"lsoa_vintage" text NOT NULL,
	"lsoa_code" text NOT NULL,
	"share" double precision NOT NULL,
	"area_share" double precision NOT NULL,
	"method" text NOT NULL,
	CONSTRAINT "neighbourhood_lsoas_version_id_lsoa_vintage_lsoa_code_pk" PRIMARY KEY("version_id","lsoa_vintage","lsoa_code"),
	CONSTRAINT "neighbourhood_lsoas_share_check" CHECK (share >= 0 and share <= 1 and area_share >= 0 and area_share <= 1)
);
--> statement-breakpoint
CREATE TABLE "neighbourhood_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"neighbourhood_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"method" text NOT NULL,
	"member_vintage" text,
	"member_codes" text[],
	"boundary" geometry(MultiPolygon,4326) NOT NULL,
	"area_sq_km" double precision NOT NULL,
	"repair_note" text,
	"note" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "neighbourhood_versions_version_key" UNIQUE("neighbourhood_id","version")
);
--> statement-breakpoint
CREATE TABLE "neighbourhoods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"purpose" text NOT NULL,
	"description" text,
	"sharing" text DEFAULT 'organisation' NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "neighbourhoods_sharing_check" CHECK (sharing in ('public', 'partners', 'organisation'))
);
--> statement-breakpoint
ALTER TABLE "neighbourhood_lsoas" ADD CONSTRAINT "neighbourhood_lsoas_version_id_neighbourhood_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."neighbourhood_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "neighbourhood_versions" ADD CONSTRAINT "neighbourhood_versions_neighbourhood_id_neighbourhoods_id_fk" FOREIGN KEY ("neighbourhood_id") REFERENCES "public"."neighbourhoods"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "neighbourhood_versions" ADD CONSTRAINT "neighbourhood_versions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "neighbourhoods" ADD CONSTRAINT "neighbourhoods_owner_organisation_id_organisations_id_fk" FOREIGN KEY ("owner_organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "neighbourhoods" ADD CONSTRAINT "neighbourhoods_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "neighbourhood_versions_boundary_idx" ON "neighbourhood_versions" USING gist ("boundary");--> statement-breakpoint
CREATE INDEX "neighbourhoods_owner_idx" ON "neighbourhoods" USING btree ("owner_organisation_id");