package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParsingTest {

    @Test
    void tableNamesFollowSqlRules() {
        assertThat(TableName.parse("Posts")).isEqualTo(TableName.of(null, "posts"));
        assertThat(TableName.parse("App.Posts")).isEqualTo(TableName.of("app", "posts"));
        assertThat(TableName.parse("\"My Table\"")).isEqualTo(TableName.of(null, "My Table"));
        assertThat(TableName.parse("\"my.schema\".\"a\"\"quote\"")).isEqualTo(TableName.of("my.schema", "a\"quote"));
        assertThat(TableName.parse("ünïcode")).isEqualTo(TableName.of(null, "ünïcode"));
        assertThat(TableName.of("s", "a\"b").quoted()).isEqualTo("\"s\".\"a\"\"b\"");
    }

    @Test
    void filtersInPostgrestForm() {
        assertThat(Condition.parse("status=eq.published")).isEqualTo(Condition.eq("status", "published"));
        assertThat(Condition.parse("score=gte.1.5")).isEqualTo(Condition.gte("score", "1.5"));
        assertThat(Condition.parse("title=eq.a=b.c")).isEqualTo(Condition.eq("title", "a=b.c"));
        assertThat(Condition.parse("id=in.(1,2,3)")).isEqualTo(Condition.in("id", "1", "2", "3"));
        assertThat(Condition.parse("t=in.(\"a,b\",\"q\\\"x\",\"\")").values()).isEqualTo(List.of("a,b", "q\"x", ""));
        assertThat(Condition.parse("d=is.null")).isEqualTo(Condition.isNull("d"));
        assertThat(Condition.parse("d=not.is.null")).isEqualTo(Condition.isNotNull("d"));
        assertThat(Condition.parse("s=neq.")).isEqualTo(Condition.neq("s", ""));
        assertThat(Condition.parse("id=in.(1,2)").toString()).isEqualTo("id=in.(1, 2)");
    }

    @Test
    void backOffGrowsToItsMaximum() {
        BackOff backOff = BackOff.exponential(java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(350));
        assertThat(List.of(backOff.delay(1), backOff.delay(2), backOff.delay(3), backOff.delay(30)))
                .extracting(java.time.Duration::toMillis).containsExactly(100L, 200L, 350L, 350L);
    }
}
