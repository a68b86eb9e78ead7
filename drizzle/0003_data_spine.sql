CREATE TABLE "area_lookups" (
	"from_vintage" text NOT NULL,
	"from_code" text NOT NULL,
	"to_vintage" text NOT NULL,
	"to_code" text NOT NULL,
	"method" text NOT NULL,
	"change_code" text,
	"share" double precision,
	"source" text NOT NULL,
	CONSTRAINT "area_lookups_from_vintage_from_code_to_vintage_to_code_pk" PRIMARY KEY("from_vintage","from_code","to_vintage","to_code"),
	CONSTRAINT "area_lookups_change_code_check" CHECK (change_code is null or change_code in ('U', 'S', 'M', 'X'))
);
--> statement-breakpoint
CREATE TABLE "area_vintages" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"year" integer NOT NULL,
	"label" text NOT NULL,
	CONSTRAINT "area_vintages_type_check" CHECK (type in ('oa', 'lsoa', 'msoa', 'ward', 'lad', 'utla', 'region', 'ccg', 'pcn', 'neighbourhood'))
);
--> statement-breakpoint
CREATE TABLE "areas" (
	"vintage" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"boundary" geometry(MultiPolygon,4326),
	"centroid" geometry(Point,4326),
	CONSTRAINT "areas_vintage_code_pk" PRIMARY KEY("vintage","code")
);
--> statement-breakpoint
CREATE TABLE "area_summaries" (
	"indicator_id" text NOT NULL,
	"vintage" text NOT NULL,
	"code" text NOT NULL,
	"lsoa_count" integer NOT NULL,
	"population" double precision,
	"decile_counts" integer[] NOT NULL,
	"most_deprived_1pct" integer NOT NULL,
	"proportion_bottom_decile" double precision NOT NULL,
	"average_score" double precision,
	"average_rank" double precision,
	"extent" double precision,
	"local_concentration" double precision,
	"rank_proportion_bottom_decile" integer,
	"rank_average_score" integer,
	"rank_average_rank" integer,
	"rank_extent" integer,
	"rank_local_concentration" integer,
	CONSTRAINT "area_summaries_indicator_id_vintage_code_pk" PRIMARY KEY("indicator_id","vintage","code")
);
--> statement-breakpoint
CREATE TABLE "editions" (
	"id" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"lsoa_vintage" text NOT NULL,
	"lad_vintage" text NOT NULL,
	"ward_vintage" text NOT NULL,
	"population_indicator_id" text NOT NULL,
	"published_on" date NOT NULL,
	"publisher" text NOT NULL,
	"licence" text NOT NULL,
	"lsoa_count" integer NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "indicator_values" (
	"indicator_id" text NOT NULL,
	"code" text NOT NULL,
	"value" double precision,
	"rank" integer,
	"decile" smallint,
	CONSTRAINT "indicator_values_indicator_id_code_pk" PRIMARY KEY("indicator_id","code"),
	CONSTRAINT "indicator_values_decile_check" CHECK (decile is null or decile between 1 and 10),
	CONSTRAINT "indicator_values_rank_check" CHECK (rank is null or rank >= 1)
);
--> statement-breakpoint
CREATE TABLE "indicators" (
	"id" text PRIMARY KEY NOT NULL,
	"edition_id" text,
	"domain" text,
	"label" text NOT NULL,
	"unit" text NOT NULL,
	"direction" text NOT NULL,
	"vintage" text NOT NULL,
	"period" text NOT NULL,
	"source" text NOT NULL,
	"licence" text NOT NULL,
	CONSTRAINT "indicators_direction_check" CHECK (direction in ('higher-is-worse', 'higher-is-better'))
);
--> statement-breakpoint
ALTER TABLE "areas" ADD CONSTRAINT "areas_vintage_area_vintages_id_fk" FOREIGN KEY ("vintage") REFERENCES "public"."area_vintages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "area_summaries" ADD CONSTRAINT "area_summaries_indicator_id_indicators_id_fk" FOREIGN KEY ("indicator_id") REFERENCES "public"."indicators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "indicator_values" ADD CONSTRAINT "indicator_values_indicator_id_indicators_id_fk" FOREIGN KEY ("indicator_id") REFERENCES "public"."indicators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "area_lookups_to_idx" ON "area_lookups" USING btree ("to_vintage","to_code","from_vintage");--> statement-breakpoint
CREATE INDEX "areas_code_idx" ON "areas" USING btree ("code");--> statement-breakpoint
CREATE INDEX "areas_boundary_idx" ON "areas" USING gist ("boundary");--> statement-breakpoint
CREATE INDEX "areas_centroid_idx" ON "areas" USING gist ("centroid");--> statement-breakpoint
CREATE INDEX "area_summaries_area_idx" ON "area_summaries" USING btree ("vintage","code");--> statement-breakpoint
CREATE INDEX "indicator_values_code_idx" ON "indicator_values" USING btree ("code");--> statement-breakpoint
CREATE INDEX "indicators_edition_idx" ON "indicators" USING btree ("edition_id");