package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgflash.core.driver.trigger.NotifyDriver;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Odd table, column and schema names work, and filter values never reach SQL. */
class QuotedIdentifiersTest extends FlashTestBase {

    @Test
    void oddTableNamesWork() {
        db.execute("CREATE TABLE \"My Table\" (\"Id\" int PRIMARY KEY, \"Some Value\" text)",
                "CREATE TABLE \"ünïcode\" (id int PRIMARY KEY, v text)",
                "CREATE TABLE \"a\"\"quote\" (id int PRIMARY KEY, \"b\"\"q\" text)");
        PgFlash flash = startFlash();
        Recorder mixed = new Recorder();
        Recorder unicode = new Recorder();
        Recorder quote = new Recorder();
        flash.subscribe(SubscriptionSpec.table("\"My Table\"").filter("Some Value=eq.x").build(), mixed);
        flash.subscribe(SubscriptionSpec.table(TableName.of("public", "ünïcode")).build(), unicode);
        flash.subscribe(SubscriptionSpec.table("public.\"a\"\"quote\"").columns("b\"q").build(), quote);

        db.execute("INSERT INTO \"My Table\" VALUES (1, 'x'), (2, 'y')", "INSERT INTO \"ünïcode\" VALUES (1, 'ü')",
                "INSERT INTO \"a\"\"quote\" VALUES (7, 'q')");

        ChangeEvent event = mixed.awaitSingle();
        assertThat(event.table()).isEqualTo(TableName.of("public", "My Table"));
        assertThat(event.key().asMap()).containsEntry("Id", 1);
        assertThat(unicode.awaitSingle().newRow().get("v")).isEqualTo("ü");
        assertThat(quote.awaitSingle().newRow().asMap()).containsEntry("b\"q", "q").containsEntry("id", 7);
    }

    @Test
    void filtersWorkOnAnyColumnName() {
        List<String> columns = List.of("Author Id", "order", "userId", "größe", "a=b", "x.y", "say \"hi\"");
        db.execute("CREATE TABLE odd (id int PRIMARY KEY, \"Author Id\" int, \"order\" int, \"userId\" int,"
                + " \"größe\" int, \"a=b\" int, \"x.y\" int, \"say \"\"hi\"\"\" int)");
        PgFlash flash = startFlash();
        List<Recorder> recorders = columns.stream().map(column -> {
            Recorder recorder = new Recorder();
            String name = column.contains("=") || column.contains("\"")
                    ? "\"" + column.replace("\"", "\"\"") + "\"" : column;
            flash.subscribe(SubscriptionSpec.table("odd").filter(name + "=eq.1").build(), recorder);
            return recorder;
        }).toList();

        db.execute("INSERT INTO odd VALUES (2, 2, 2, 2, 2, 2, 2, 2)",
                "INSERT INTO odd VALUES (1, 1, 1, 1, 1, 1, 1, 1)");

        for (Recorder recorder : recorders) {
            assertThat(recorder.awaitEvents(1)).extracting(e -> e.newRow().get("id")).containsExactly(1);
        }
    }

    @Test
    void columnNamesAreVerbatimWhileUnquotedTableNamesFold() {
        db.execute("CREATE TABLE \"Folded\" (\"Id\" int PRIMARY KEY, \"Title\" text)",
                "CREATE TABLE folded (id int PRIMARY KEY)");
        PgFlash flash = startFlash();

        // the unquoted table name folds to lower case: folded, not "Folded"
        assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("Folded").filter("Title=eq.x").build(),
                new Recorder())).isInstanceOf(PgFlashException.class).hasMessageContaining("Title");
        // column names are taken as written, never folded
        assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("\"Folded\"").filter("title=eq.x").build(),
                new Recorder())).isInstanceOf(PgFlashException.class).hasMessageContaining("title");
        flash.subscribe(SubscriptionSpec.table("\"Folded\"").filter("Title=eq.x").columns("Title").build(),
                new Recorder());
    }

    @Test
    void filterValuesWithSqlInThemMatchLiterally() throws Exception {
        db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
        List<String> nasty = List.of("'; DROP TABLE notes; --", "$$ SELECT 1 $$", "\"quoted\" 'single'", "a,b");
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("notes").where(Condition.in("body", nasty.toArray())).build(), recorder);
        Recorder parsed = new Recorder();
        flash.subscribe(SubscriptionSpec.table("notes").filter("body=in.(\"a,b\",\"$$ SELECT 1 $$\")").build(), parsed);

        try (var connection = db.connect();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO notes VALUES (?, ?)")) {
            int id = 0;
            for (String body : nasty) {
                insert.setInt(1, ++id);
                insert.setString(2, body);
                insert.execute();
                insert.setInt(1, ++id);
                insert.setString(2, body + " but not quite");
                insert.execute();
            }
        }

        assertThat(recorder.awaitEvents(4)).extracting(e -> e.newRow().get("body")).containsExactlyElementsOf(nasty);
        assertThat(parsed.awaitEvents(2)).extracting(e -> e.newRow().get("body"))
                .containsExactly("$$ SELECT 1 $$", "a,b");
        assertThat(triggerCount("notes")).isEqualTo(4);
    }

    @Test
    void oddSchemaNameForPgflashObjects() {
        db.execute("CREATE TABLE items (id int PRIMARY KEY)");
        PgFlash flash = startFlash(NotifyDriver.builder().schema("pg flash'\"x").build());
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("items").build(), recorder);

        db.execute("INSERT INTO items VALUES (1)");

        assertThat(recorder.awaitSingle().newRow().get("id")).isEqualTo(1);
    }
}
