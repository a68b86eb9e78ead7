CREATE TABLE "postcodes" (
	"postcode" text PRIMARY KEY NOT NULL,
	"display" text NOT NULL,
	"location" geometry(Point,4326),
	"oa11" text,
	"lsoa11" text,
	"oa21" text,
	"lsoa21" text,
	"ward" text,
	"lad" text,
	"introduced" date,
	"terminated" date,
	"user_type" smallint,
	CONSTRAINT "postcodes_user_type_check" CHECK (user_type is null or user_type in (0, 1))
);
--> statement-breakpoint
ALTER TABLE "areas" ADD COLUMN "weighted_centroid" geometry(Point,4326);--> statement-breakpoint
CREATE INDEX "postcodes_location_idx" ON "postcodes" USING gist ("location");--> statement-breakpoint
CREATE INDEX "areas_weighted_centroid_idx" ON "areas" USING gist ("weighted_centroid");