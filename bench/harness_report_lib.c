/*
 * harness_report_lib.c - what the benchmark harness writes (see
 * harness.h): the rows of the tables, the CSV, and a grouped bar chart in
 * SVG, written by hand (no plotting library), with the chart of speeds
 * relative to glibc that every benchmark draws.
 *
 * The chart's y axis is linear from 0 or log2 around a reference line;
 * bars grow from the reference, so a ratio of 2 and one of 1/2 are equally
 * long.  Bounds: at most 64 series; drawing is linear in the bars.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* ---- tables --------------------------------------------------------------- */

const char *bh_warmup_note(bool quick)
{
    return quick ? ", no warm-up" : " after 1 warm-up round";
}

void bh_cell_head(const char *what, size_t reps, bool quick)
{
    printf("\n%s: ns per alloc+free pair (median of %zu%s)\n", what, reps, bh_warmup_note(quick));
    printf("  %-10s %9s %9s %9s %9s %12s\n", "allocator", "median", "min", "max", "vs glibc", "peak RSS KiB");
}

void bh_cell_row(const char *name, double med, double lo, double hi, double base, double rss)
{
    printf("  %-10s %9.2f %9.2f %9.2f %8.2fx %12.0f\n", name, med, lo, hi, base / med, rss);
}

void bh_summary_head(const bh_comp_t *comps, size_t n, int width, const char *label, const char *last)
{
    printf("\nSpeed relative to glibc (glibc median / median; > 1 = faster than glibc)\n");
    printf("  %-*s", width, label);
    for (size_t i = 0; i < n; i++)
        if (comps[i].present)
            printf(" %9s", comps[i].name);
    printf(" %12s\n", last);
}

/* ---- CSV ------------------------------------------------------------------ */

FILE *bh_csv_open(const char *path, const char *header)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        bh_die("cannot write %s: %s", path, strerror(errno));
    fputs(header, f);
    return f;
}

void bh_csv_samples(FILE *f, const double *samples, size_t n)
{
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%s%.4f", k ? ";" : "", samples[k]);
    fputc('\n', f);
}

void bh_csv_close(FILE *f, const char *path)
{
    if (fclose(f) != 0)
        bh_die("cannot write %s", path);
    printf("\nwrote %s\n", path);
}

/* ---- an SVG bar chart, written by hand ------------------------------------ */

/* Maps values to heights in the plot: linear from 0, or log2. */
typedef struct bh_scale {
    bool log;  /* log2 axis */
    double lo; /* value at the bottom of the plot */
    double hi; /* value at the top */
    double y0; /* y coordinate of the bottom */
    double h;  /* height of the plot */
} bh_scale_t;

static double bh_scale_y(const bh_scale_t *sc, double v)
{
    double t = sc->log ? (log2(v) - log2(sc->lo)) / (log2(sc->hi) - log2(sc->lo)) : (v - sc->lo) / (sc->hi - sc->lo);
    return sc->y0 - t * sc->h;
}

/* Writes s with the XML special characters escaped. */
static void bh_svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Writes <text ...>s</text> with the given attributes after x and y. */
static void bh_svg_label(FILE *f, double x, double y, const char *attrs, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    bh_svg_text(f, s);
    fputs("</text>\n", f);
}

/* Chooses the axis range: linear from 0 to a round top with about five
 * ticks, or log2 from the power of two below the smallest value to the one
 * above the largest.  Returns the tick step (linear) or factor (log). */
static double bh_scale_fit(bh_scale_t *sc, const bh_chart_t *c)
{
    double vmin = c->reference > 0 ? c->reference : INFINITY, vmax = c->reference;
    for (size_t i = 0; i < c->groups * c->series; i++) {
        double v = c->value[i];
        if (!isnan(v) && v > 0) {
            vmin = v < vmin ? v : vmin;
            vmax = v > vmax ? v : vmax;
        }
    }
    if (!(vmax > 0))
        vmax = vmin = 1;
    sc->log = c->log_scale;
    if (sc->log) {
        sc->lo = exp2(floor(log2(vmin)));
        sc->hi = exp2(ceil(log2(vmax * 1.15)));
        return 2;
    }
    double top = vmax * 1.08, raw = top / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    sc->lo = 0;
    sc->hi = ceil(top / step) * step;
    return step;
}

/* Draws the horizontal grid lines with their tick labels. */
static void bh_svg_grid(FILE *f, const bh_scale_t *sc, double step, double x0, double x1)
{
    for (double t = sc->lo; t <= sc->hi * (1 + 1e-9); t = sc->log ? t * step : t + step) {
        double y = bh_scale_y(sc, t);
        char num[32];
        snprintf(num, sizeof num, "%g", t);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, y, x1, y);
        bh_svg_label(f, x0 - 6, y + 4, "text-anchor=\"end\" font-size=\"11\"", num);
    }
}

/* Writes the legend: one swatch and name per series, in a row. */
static void bh_svg_legend(FILE *f, const bh_chart_t *c, const char *const *colour, double x, double y)
{
    for (size_t s = 0; s < c->series; s++) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, y - 10, colour[s]);
        bh_svg_label(f, x + 16, y, "font-size=\"12\"", c->series_name[s]);
        x += 28 + 7.5 * (double)strlen(c->series_name[s]);
    }
}

/* Draws the bars of group g, between x and x + width. */
static void bh_svg_bars(FILE *f, const bh_chart_t *c, const bh_scale_t *sc, const char *const *colour,
                        size_t g, double x, double width)
{
    double bw = width / (double)c->series, base = sc->log ? bh_scale_y(sc, c->reference) : sc->y0;
    for (size_t s = 0; s < c->series; s++) {
        double v = c->value[g * c->series + s];
        if (isnan(v) || (sc->log && !(v > 0)))
            continue;
        double y = bh_scale_y(sc, v), top = y < base ? y : base, h = fabs(base - y), bx = x + (double)s * bw;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", bx, top,
                bw - 1, h < 1 ? 1 : h, colour[s]);
        bh_svg_text(f, c->series_name[s]);
        fprintf(f, ": %.2f</title></rect>\n", v);
        if (s == c->highlight) {
            char num[32];
            snprintf(num, sizeof num, "%.1f", v);
            bh_svg_label(f, bx + bw / 2, y < base ? y - 3 : y + 11, "text-anchor=\"middle\" font-size=\"10\"", num);
        }
    }
}

bool bh_svg_write(const char *path, const bh_chart_t *c)
{
    static const char *const palette[] = {"#4e79a7", "#59a14f", "#edc948", "#b07aa1",
                                          "#e15759", "#76b7b2", "#f28e2b", "#8c8c8c"};
    const char *colour[64];
    const double W = 1000, H = 480, left = 70, right = 70, top = 86, bottom = 70;
    const double pw = W - left - right, ph = H - top - bottom, y0 = top + ph;
    if (c->series > 64 || c->groups == 0)
        return false;
    for (size_t s = 0; s < c->series; s++)
        colour[s] = c->series_colour ? c->series_colour[s] : palette[s % 8];
    bh_scale_t sc = {.y0 = y0, .h = ph};
    double step = bh_scale_fit(&sc, c);

    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n", W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    bh_svg_label(f, left, 22, "font-size=\"16\" font-weight=\"bold\"", c->title);
    if (c->subtitle)
        bh_svg_label(f, left, 40, "font-size=\"11\" fill=\"#555\"", c->subtitle);
    bh_svg_legend(f, c, colour, left, 64);
    bh_svg_grid(f, &sc, step, left, left + pw);
    fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">",
            top + ph / 2);
    bh_svg_text(f, c->y_label);
    fputs("</text>\n", f);

    double gw = pw / (double)c->groups;
    for (size_t g = 0; g < c->groups; g++) {
        bh_svg_bars(f, c, &sc, colour, g, left + (double)g * gw + gw * 0.1, gw * 0.8);
        bh_svg_label(f, left + ((double)g + 0.5) * gw, y0 + 16, "text-anchor=\"middle\" font-size=\"11\"",
                     c->group_label[g]);
    }
    /* second row: one label per run of equal sections, with a separator */
    for (size_t g = 0; c->group_section && g < c->groups;) {
        size_t e = g;
        while (e < c->groups && strcmp(c->group_section[e], c->group_section[g]) == 0)
            e++;
        bh_svg_label(f, left + ((double)g + (double)e) / 2 * gw, y0 + 36,
                     "text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\"", c->group_section[g]);
        if (e < c->groups)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
                    left + (double)e * gw, top, left + (double)e * gw, y0 + 40);
        g = e;
    }
    if (c->reference > 0) {
        double y = bh_scale_y(&sc, c->reference);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
                   "stroke-dasharray=\"5,4\"/>\n", left, y, left + pw, y);
        bh_svg_label(f, left + pw + 4, y + 4, "font-size=\"11\"", c->reference_label ? c->reference_label : "");
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left, y0, left + pw, y0);
    fputs("</svg>\n", f);
    return fclose(f) == 0;
}

/* ---- the chart of speeds relative to glibc -------------------------------- */

void bh_series_pick(bh_series_t *s, const bh_comp_t *comps, size_t first, size_t last, size_t own,
                    const char *const *colour)
{
    s->n = 0;
    s->highlight = last;
    for (size_t i = first; i < last && s->n < 64; i++)
        if (comps[i].present) {
            if (i == own)
                s->highlight = s->n;
            s->map[s->n] = i;
            s->colour[s->n] = colour[i];
            s->name[s->n++] = comps[i].name;
        }
}

void bh_chart_subtitle(char *buf, size_t size, size_t reps)
{
    char cpu[200];
    bh_cpuinfo("model name", cpu, sizeof cpu);
    snprintf(buf, size, "median of %zu run%s per bar; %s, %ld CPUs; %s", reps, reps == 1 ? "" : "s", cpu,
             sysconf(_SC_NPROCESSORS_ONLN), bh_compiler());
}

void bh_ratio_chart(const char *path, const char *title, size_t reps, size_t groups,
                    const char *const *label, const char *const *section, const bh_series_t *s,
                    const double *value)
{
    char subtitle[512];
    bh_chart_subtitle(subtitle, sizeof subtitle, reps);
    bh_chart_t chart = {
        .title = title,
        .subtitle = subtitle,
        .y_label = "glibc time / allocator time (log scale)",
        .groups = groups,
        .group_label = label,
        .group_section = section,
        .series = s->n,
        .series_name = s->name,
        .series_colour = s->colour,
        .value = value,
        .log_scale = true,
        .reference = 1.0,
        .reference_label = "glibc = 1",
        .highlight = s->highlight,
    };
    if (!bh_svg_write(path, &chart))
        bh_die("cannot write %s", path);
    printf("wrote %s\n", path);
}
