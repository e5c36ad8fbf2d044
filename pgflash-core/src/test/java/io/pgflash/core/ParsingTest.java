package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        assertThat(Condition.parse("id=in.(1, 2 ,3)")).isEqualTo(Condition.in("id", "1", "2", "3"));
        assertThat(Condition.parse("t=in.( \" a\" , b )").values()).isEqualTo(List.of(" a", "b"));
        assertThat(Condition.parse("d=is.null")).isEqualTo(Condition.isNull("d"));
        assertThat(Condition.parse("d=not.is.null")).isEqualTo(Condition.isNotNull("d"));
        assertThat(Condition.parse("s=neq.")).isEqualTo(Condition.neq("s", ""));
        assertThat(Condition.parse("id=in.(1,2)").toString()).isEqualTo("id=in.(1, 2)");
    }

    @Test
    void filterColumnNamesAreVerbatimOrDoubleQuoted() {
        assertThat(Condition.parse("Author Id=eq.1")).isEqualTo(Condition.eq("Author Id", "1"));
        assertThat(Condition.parse("x.y=eq.1")).isEqualTo(Condition.eq("x.y", "1"));
        assertThat(Condition.parse("\"a=b\"=eq.1")).isEqualTo(Condition.eq("a=b", "1"));
        assertThat(Condition.parse("\"AuthorId\"=is.null")).isEqualTo(Condition.isNull("AuthorId"));
        assertThat(Condition.parse("\"say \"\"hi\"\"\"=in.(1,2)")).isEqualTo(Condition.in("say \"hi\"", "1", "2"));
        assertThat(Condition.parse("\"a=b\"=eq.1").toString()).isEqualTo("\"a=b\"=eq.1");
        assertThat(Condition.parse(Condition.eq("\"q", "v").toString())).isEqualTo(Condition.eq("\"q", "v"));
        assertThatThrownBy(() -> Condition.parse("a=b=eq.1")).hasMessageContaining("\"a=b\"=eq.1");
        assertThatThrownBy(() -> Condition.parse("Author Id = eq.1")).hasMessageContaining("no spaces around '='")
                .hasMessageContaining("write it as Author Id=eq.1");
        assertThatThrownBy(() -> Condition.parse("\"a=b=eq.1")).hasMessageContaining("not closed");
        assertThatThrownBy(() -> Condition.parse("\"a\"b=eq.1")).hasMessageContaining("after the quoted column name");
        assertThatThrownBy(() -> Condition.parse("\"\"=eq.1")).hasMessageContaining("after the quoted column name");
    }

    @Test
    void backOffGrowsToItsMaximum() {
        BackOff backOff = BackOff.exponential(java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(350));
        assertThat(List.of(backOff.delay(1), backOff.delay(2), backOff.delay(3), backOff.delay(30)))
                .extracting(java.time.Duration::toMillis).containsExactly(100L, 200L, 350L, 350L);
    }
}
