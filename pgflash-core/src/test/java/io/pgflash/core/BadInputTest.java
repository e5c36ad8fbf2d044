package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad subscriptions fail at subscribe time, naming the table or column and the fix, and install nothing. */
class BadInputTest extends FlashTestBase {

    PgFlash flash;

    @BeforeEach
    void setUp() {
        db.execute("DROP VIEW IF EXISTS posts_view", "DROP TABLE IF EXISTS posts", "DROP TABLE IF EXISTS nokey",
                "CREATE TABLE posts (id int PRIMARY KEY, title text, published boolean, meta jsonb, score int)",
                "CREATE TABLE nokey (a int)", "CREATE VIEW posts_view AS SELECT * FROM posts");
        flash = startFlash();
    }

    private void assertRejected(SubscriptionSpec.Builder spec, String... messageParts) {
        assertThatThrownBy(() -> flash.subscribe(spec.build(), event -> { }))
                .isInstanceOf(PgFlashException.class)
                .message().contains(messageParts);
        assertThat(triggerCount("posts")).isZero();
        assertThat(flash.subscriptions()).isEmpty();
    }

    @Test
    void unknownTable() {
        assertRejected(SubscriptionSpec.table("postz"), "\"postz\" does not exist");
    }

    @Test
    void viewIsNotATable() {
        assertRejected(SubscriptionSpec.table("posts_view"), "posts_view", "is not a table");
    }

    @Test
    void unknownFilterColumn() {
        assertRejected(SubscriptionSpec.table("posts").filter("titel=eq.x"), "titel", "has no column", "title");
    }

    @Test
    void filterValueOfTheWrongType() {
        assertRejected(SubscriptionSpec.table("posts").filter("score=eq.abc"), "score=eq.abc", "integer");
        assertRejected(SubscriptionSpec.table("posts").filter("published=eq.maybe"), "published", "boolean");
    }

    @Test
    void orderingOnATypeWithoutOrder() {
        assertRejected(SubscriptionSpec.table("posts").filter("meta=gt.{}"), "meta", "jsonb", "gt cannot order");
        assertRejected(SubscriptionSpec.table("posts").filter("published=lt.true"), "published", "boolean");
    }

    @Test
    void unknownPartialFieldOrKeyColumn() {
        assertRejected(SubscriptionSpec.table("posts").columns("body"), "Partial field 'body'", "posts");
        assertRejected(SubscriptionSpec.table("posts").key("uuid"), "Key column 'uuid'");
    }

    @Test
    void tableWithoutPrimaryKeyNeedsAKey() {
        assertRejected(SubscriptionSpec.table("nokey"), "nokey", "no primary key", "key(");
        assertThat(triggerCount("nokey")).isZero();
    }

    @Test
    void duplicateId() {
        flash.subscribe(SubscriptionSpec.table("posts").id("same").build(), event -> { });
        assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("posts").id("same").build(), event -> { }))
                .hasMessageContaining("'same' exists already");
    }

    @Test
    void malformedFilterStrings() {
        assertThatThrownBy(() -> Condition.parse("status")).hasMessageContaining("column=operator.value");
        assertThatThrownBy(() -> Condition.parse("status=like.x")).hasMessageContaining("unknown operator");
        assertThatThrownBy(() -> Condition.parse("id=in.1,2")).hasMessageContaining("parentheses");
        assertThatThrownBy(() -> Condition.parse("id=in.(1,,2)")).hasMessageContaining("empty item");
        assertThatThrownBy(() -> Condition.parse("id=in.(\"a)")).hasMessageContaining("not closed");
        assertThatThrownBy(() -> TableName.parse("a.b.c")).hasMessageContaining("more than schema.table");
        assertThatThrownBy(() -> TableName.parse("\"open")).hasMessageContaining("not closed");
        assertThatThrownBy(() -> TableName.parse("bad-name")).hasMessageContaining("quote the name");
    }
}
