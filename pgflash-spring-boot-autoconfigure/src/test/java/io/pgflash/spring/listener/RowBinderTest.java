package io.pgflash.spring.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgflash.core.NonRetryable;
import io.pgflash.core.Row;
import io.pgflash.spring.annotation.PgColumn;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.ApplicationConversionService;

class RowBinderTest {

    private final RowBinder binder = new RowBinder(ApplicationConversionService.getSharedInstance());

    record Article(long id, String title, BigDecimal price, Status status, boolean featured) {
    }

    enum Status { DRAFT, PUBLISHED }

    public static class ArticleBean {
        private long views;
        private Long id;
        private String authorName;
        private Status status;

        public long getViews() {
            return views;
        }

        public void setViews(long views) {
            this.views = views;
        }

        public Long getId() {
            return id;
        }

        public void setId(Long id) {
            this.id = id;
        }

        public String getAuthorName() {
            return authorName;
        }

        public void setAuthorName(String authorName) {
            this.authorName = authorName;
        }

        public Status getStatus() {
            return status;
        }

        public void setStatus(Status status) {
            this.status = status;
        }
    }

    private static Row row() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("id", 7);
        values.put("title", "Hello");
        values.put("price", "12.50");
        values.put("status", "PUBLISHED");
        values.put("author_name", "Ada");
        values.put("unrelated", "ignored");
        values.put("views", null);
        return new Row(values);
    }

    record OddNames(int id, @PgColumn("Author Id") Integer authorId, @PgColumn("a=b") String ab) {
    }

    public static class OddNamesBean {
        @PgColumn("Author Id")
        private Integer authorId;

        public Integer getAuthorId() {
            return authorId;
        }

        public void setAuthorId(Integer authorId) {
            this.authorId = authorId;
        }
    }

    record Tags(int id, int[] tags) {
    }

    @Test
    void pgColumnBindsAnyColumnName() {
        Row row = new Row(Map.of("id", 1, "Author Id", 7, "a=b", "x", "author_id", 99), Set.of());

        assertThat(binder.bind(row, OddNames.class)).isEqualTo(new OddNames(1, 7, "x"));
        assertThat(binder.bind(row, OddNamesBean.class).getAuthorId()).isEqualTo(7);
    }

    @Test
    void aValueThatCannotBeConvertedNamesItsPropertyAndColumn() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("id", 1);
        values.put("tags", java.util.Arrays.asList(1, null, 3));

        assertThatThrownBy(() -> binder.bind(new Row(values, Set.of()), Tags.class))
                .isInstanceOf(RowBindingException.class).hasMessageContaining("'tags' (int[], from column 'tags')");
    }

    record Timer(int id, java.time.Duration span) {
    }

    @Test
    void anIntervalOfDaysAndTimeBindsToADurationAndOneOfMonthsIsRefused() throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("id", 1);
        values.put("span", new org.postgresql.util.PGInterval("1 day 02:03:04.5"));
        assertThat(binder.bind(new Row(values, Set.of()), Timer.class).span())
                .isEqualTo(java.time.Duration.parse("PT26H3M4.5S"));

        values.put("span", new org.postgresql.util.PGInterval("1 mon"));
        assertThatThrownBy(() -> binder.bind(new Row(values, Set.of()), Timer.class))
                .isInstanceOf(RowBindingException.class).hasMessageContaining("'span' (Duration, from column 'span')")
                .hasMessageContaining("bind it to PGInterval");
    }

    @Test
    void bindsARecordConvertingValues() {
        assertThat(binder.bind(row(), Article.class))
                .isEqualTo(new Article(7L, "Hello", new BigDecimal("12.50"), Status.PUBLISHED, false));
    }

    @Test
    void aValueThatWasNotSentIsNotBoundAsNull() {
        Map<String, Object> values = new LinkedHashMap<>(row().asMap());
        values.remove("title");
        Row withoutTitle = new Row(values, Set.of("title")); // an unchanged TOASTed value the WAL did not repeat

        assertThatThrownBy(() -> binder.bind(withoutTitle, Article.class)).hasMessageContaining("title")
                .hasMessageContaining("REPLICA IDENTITY FULL").isInstanceOf(NonRetryable.class);
    }

    /** The same row fails the same way on a retry: the error says so, and the error policy does not retry it. */
    @Test
    void aRowThatCannotBeConvertedFailsAsNotRetryableNamingTheType() {
        Map<String, Object> values = new LinkedHashMap<>(row().asMap());
        values.put("status", "ARCHIVED"); // no such constant
        Row unknownStatus = new Row(values, Set.of());

        assertThatThrownBy(() -> binder.bind(unknownStatus, Article.class)).isInstanceOf(RowBindingException.class)
                .isInstanceOf(NonRetryable.class).hasMessageContaining(Article.class.getName());
    }

    @Test
    void bindsAJavaBeanBySnakeCaseColumnNames() {
        ArticleBean bean = binder.bind(row(), ArticleBean.class);
        assertThat(bean.getId()).isEqualTo(7L);
        assertThat(bean.getAuthorName()).isEqualTo("Ada");
        assertThat(bean.getStatus()).isEqualTo(Status.PUBLISHED);
        assertThat(bean.getViews()).isZero(); // NULL into a primitive keeps the default
    }
}
