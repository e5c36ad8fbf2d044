package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's Java example is this code, compiled and run against a real server. */
class ReadmeExampleTest extends FlashTestBase {

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        db.execute("CREATE TABLE posts (id bigserial PRIMARY KEY, title text, status text)");
        String url = db.jdbcUrl();
        String user = db.user();
        String password = db.password();
        Recorder recorder = new Recorder();

        // README-START
        try (PgFlash flash = PgFlash.builder().jdbcUrl(url, user, password).build()) {
            flash.start();
            flash.subscribe(
                    SubscriptionSpec.table("posts")
                            .operations(Operation.INSERT, Operation.UPDATE)
                            .filter("status=eq.published")
                            .build(),
                    event -> System.out.println(event.operation() + " " + event.newRow().get("title")));
            // events arrive one at a time, in commit order, on pgflash's delivery threads, until close()
            // README-END
            flash.subscribe(SubscriptionSpec.table("posts").operations(Operation.INSERT, Operation.UPDATE)
                    .filter("status=eq.published").build(), recorder);
            db.execute("INSERT INTO posts (title, status) VALUES ('Draft', 'draft'), ('Hello', 'published')");
            assertThat(recorder.awaitSingle().newRow().get("title")).isEqualTo("Hello");
        }

        assertThat(readme()).contains(exampleFromThisFile());
    }

    private static String readme() throws Exception {
        return Files.readString(Path.of("..", "README.md"));
    }

    /** The lines between the markers, de-indented as the README shows them. */
    private static String exampleFromThisFile() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/pgflash/core/ReadmeExampleTest.java"));
        String between = source.substring(source.indexOf("// README-START\n") + "// README-START\n".length(),
                source.indexOf("// README-END"));
        return between.stripIndent();
    }
}
