CREATE TABLE "bundled_data_steps" (
	"step" text PRIMARY KEY NOT NULL,
	"completed_at" timestamp with time zone DEFAULT now() NOT NULL
);
