package io.pgflash.core.internal.value;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyOut;

/** A row of COPY's text format gives the same texts as a query's text result, whatever the values hold. */
class CopyTextRowTest {

    private static final String VALUES = """
            SELECT E'tab\\there, line\\nbreak, return\\r, back\\\\slash, \\b\\f\\x0b, \\x01 raw', '\\N', '',
                NULL::text, 'ünïcode ✓ 𝄞', E'ends with a backslash\\\\', '{"a,b","c\\"d",NULL}'::text[],
                '\\x00ff'::bytea, 42""";

    @Test
    void copyTextGivesTheTextsOfAQuery() throws Exception {
        TestDatabase db = TestPostgres.shared().createDatabase();
        try (Connection connection = db.connect()) {
            List<String> queried = new ArrayList<>();
            try (Statement statement = connection.createStatement()) {
                statement.unwrap(PGStatement.class).setPrepareThreshold(0); // text results
                try (ResultSet rs = statement.executeQuery(VALUES)) {
                    rs.next();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        queried.add(rs.getString(i));
                    }
                }
            }
            CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (" + VALUES
                    + ") TO STDOUT");
            byte[] row = copy.readFromCopy();
            assertThat(copy.readFromCopy()).isNull();

            assertThat(CopyTextRow.split(row)).isEqualTo(queried);
            assertThat(queried).contains("\\N", "", null); // the text \N is not NULL
        }
    }

    @Test
    void escapesCopyDoesNotWriteButMayAreUndoneToo() {
        assertThat(CopyTextRow.split(bytes("a\\101b\\x41\\x4g\\xz\\q\t\\N\t\n")))
                .isEqualTo(Arrays.asList("aAbA\u0004gxzq", null, ""));
        assertThat(CopyTextRow.split(bytes("\\303\\251\n"))).isEqualTo(List.of("é")); // UTF-8 bytes in octal
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
