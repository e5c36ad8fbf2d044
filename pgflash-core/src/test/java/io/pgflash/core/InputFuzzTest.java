package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Names, filters and settings from a fuzzer (random strings of the characters that matter to SQL, and a list of
 * adversarial ones): each is accepted and works, or is rejected with a message; none reaches the database unsafely.
 * The seed is printed; {@code -Dpgflash.fuzz.seed=...} repeats a run.
 */
class InputFuzzTest extends FlashTestBase {

    private static final long SEED = Long.getLong("pgflash.fuzz.seed", System.nanoTime());
    private static final String ALPHABET = "ab_Z09 .,;:=()'\"\\$-/*%\n\t\u0000éß🙂名";
    private static final List<String> ADVERSARIAL = List.of("", " ", "\"", "\"\"", "'", "''", ";", ".", "..",
            "a.b.c", "\"a.b\"", "Posts", "\"Posts\"", "public.posts", "public.\"posts\"", "pg_catalog.pg_class",
            "posts; DROP TABLE canary", "posts\"; DROP TABLE canary; --", "'; DROP TABLE canary; --",
            "canary\" CASCADE; --", "$$", "$q$; DROP TABLE canary; $q$", "\\", "\u0000", "a\u0000b", "ünïcödé", "名前",
            "🙂", "x".repeat(70), "y".repeat(300), "-- comment", "/* c */", "\n", "id=eq.1", "id=in.(1,2", "id=eq.",
            "=eq.1", "id=zz.1", "id=is.maybe", "id=is.null", "title=eq.'; DROP TABLE canary; --",
            "title=in.(\"a,b\",c)", "title=eq.\\\"", "title=like.%", "title=eq.\u0000", "score=gt.9999999999999999999",
            "score=lt.-1e309", "score=eq.NaN", "meta=eq.{\"a\":1}", "published=eq.maybe", "id=in.()");

    private static final Random random = new Random(SEED);

    @BeforeEach
    void tables() {
        System.out.println("InputFuzzTest seed: " + SEED);
        db.execute("DROP TABLE IF EXISTS posts, canary CASCADE",
                "CREATE TABLE posts (id int PRIMARY KEY, title text, published boolean, meta jsonb, score int)",
                "CREATE TABLE canary (id int)", "INSERT INTO canary VALUES (1)");
    }

    @Test
    void tableNamesParseToWhatTheyQuoteOrAreRejectedWithAReason() {
        for (String input : inputs(3000)) {
            Throwable error = catchThrowable(() -> {
                TableName name = TableName.parse(input);
                assertThat(TableName.parse(name.quoted())).as(printable(input)).isEqualTo(name);
            });
            assertRejectedWithReasonOrAccepted(error, input);
        }
    }

    @Test
    void filtersParseOrAreRejectedWithAReason() {
        for (String input : inputs(3000)) {
            assertRejectedWithReasonOrAccepted(catchThrowable(() -> Condition.parse(input)), input);
        }
    }

    @Test
    void fuzzedSubscriptionsFailCleanlyAndLeaveTheDatabaseAsItWas() {
        PgFlash flash = startFlash();
        long tablesBefore = tableCount();
        for (String input : inputs(150)) {
            trySubscribe(flash, () -> SubscriptionSpec.table(input).build(), input);
            trySubscribe(flash, () -> SubscriptionSpec.table("posts").filter(input).build(), input);
            trySubscribe(flash, () -> SubscriptionSpec.table("posts").columns(input).build(), input);
        }
        assertThat(tableCount()).isEqualTo(tablesBefore);
        assertThat(queryLong("SELECT count(*) FROM canary")).isEqualTo(1);

        Recorder still = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), still);
        db.execute("INSERT INTO posts (id, title) VALUES (1, 'still working')");
        assertThat(still.awaitEvents(1).get(0).newRow().get("title")).isEqualTo("still working");
    }

    @Test
    void adversarialNamesForPgflashsOwnObjectsWork() {
        List<String> names = List.of("we\"ird", "x'y; DROP TABLE canary; --", "Ünï cödé", "a,b");
        for (String name : names) {
            deliversThrough(NotifyDriver.builder().schema(name).removeSchemaOnShutdown(true).build(), name);
            deliversThrough(DurableDriver.builder().schema("pgflash_durable").group(name).build(), name);
            deliversThrough(walDriver().publicationName(name).build(), name);
        }
        assertThat(queryLong("SELECT count(*) FROM canary")).isEqualTo(1);
    }

    @Test
    void fuzzedSettingsAreAcceptedOrRejectedAtBuildTime() {
        for (String input : inputs(500)) {
            Throwable schema = catchThrowable(() -> NotifyDriver.builder().schema(input).build());
            boolean schemaValid = !input.isBlank() && input.getBytes(StandardCharsets.UTF_8).length <= 50
                    && !input.contains("$") && !input.contains("\\");
            assertThat(schema == null).as("schema %s", printable(input)).isEqualTo(schemaValid);
            assertRejectedWithReasonOrAccepted(schema, input);

            Throwable durableSchema = catchThrowable(() -> DurableDriver.builder().schema(input).build());
            boolean durableSchemaValid = schemaValid && input.getBytes(StandardCharsets.UTF_8).length <= 46;
            assertThat(durableSchema == null).as("durable schema %s", printable(input)).isEqualTo(durableSchemaValid);
            assertRejectedWithReasonOrAccepted(durableSchema, input);

            Throwable slot = catchThrowable(() -> WalDriver.builder().slotName(input).build());
            assertThat(slot == null).as("slot %s", printable(input)).isEqualTo(input.matches("[a-z0-9_]{1,63}"));
            assertRejectedWithReasonOrAccepted(slot, input);

            Throwable publication = catchThrowable(() -> WalDriver.builder().publicationName(input).build());
            boolean publicationValid = !input.isEmpty() && input.indexOf('\u0000') < 0
                    && input.getBytes(StandardCharsets.UTF_8).length <= 63;
            assertThat(publication == null).as("publication %s", printable(input)).isEqualTo(publicationValid);
            assertRejectedWithReasonOrAccepted(publication, input);
        }
        assertThatThrownBy(() -> WalDriver.builder().slotName("Bad Slot").build())
                .hasMessageContaining("WAL slot name 'Bad Slot' must be 1 to 63 lower-case letters");
    }

    private void deliversThrough(ChangeDriver driver, String name) {
        PgFlash flash = startFlash(driver);
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("DELETE FROM posts", "INSERT INTO posts (id, title) VALUES (7, 'via " + name.replace("'", "''")
                + "')");
        assertThat(recorder.awaitEvents(1).get(0).newRow().get("title")).as(driver.name() + " with " + name)
                .isEqualTo("via " + name);
        flash.close();
    }

    private static void trySubscribe(PgFlash flash, Supplier<SubscriptionSpec> spec, String input) {
        Throwable error = catchThrowable(() -> flash.subscribe(spec.get(), event -> { }).cancel());
        assertRejectedWithReasonOrAccepted(error, input);
    }

    private static void assertRejectedWithReasonOrAccepted(Throwable error, String input) {
        if (error != null) {
            assertThat(error).as("input %s", printable(input))
                    .isInstanceOfAny(IllegalArgumentException.class, PgFlashException.class);
            assertThat(error.getMessage()).as("input %s", printable(input)).isNotBlank();
        }
    }

    private static long tableCount() {
        return queryLong("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace NOT IN"
                + " ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)");
    }

    private static List<String> inputs(int randomOnes) {
        List<String> inputs = new ArrayList<>(ADVERSARIAL);
        for (int i = 0; i < randomOnes; i++) {
            int length = random.nextInt(24);
            StringBuilder text = new StringBuilder();
            int[] codePoints = ALPHABET.codePoints().toArray();
            for (int c = 0; c < length; c++) {
                text.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
            }
            inputs.add(text.toString());
        }
        return inputs;
    }

    private static String printable(String input) {
        return "'" + input.replace("\u0000", "\\0").replace("\n", "\\n").replace("\t", "\\t") + "' (seed " + SEED + ")";
    }
}
