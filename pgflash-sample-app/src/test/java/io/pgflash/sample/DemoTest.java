package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's run command runs this demo; it must see every change it writes. */
class DemoTest {

    @Test
    void demoPrintsEveryChange() throws Exception {
        TestDatabase db = TestPostgres.shared().createDatabase();
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Demo.run(db.jdbcUrl(), db.user(), db.password());
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        assertThat(output).contains("INSERT", "UPDATE", "DELETE", "TRUNCATE", "published: \"Hello, pgflash\"",
                "All 6 changes arrived");
    }
}
