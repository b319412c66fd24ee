/*
 * keruta-filter: the built-in secret detectors.
 *
 * One pass over the text. Runs of token characters ([A-Za-z0-9_.~-]) of
 * five bytes or more are dispatched on their first byte to hand-written
 * matchers that check a prefix, an alphabet and a length; '=' and ':'
 * look back at the key before them (password=, "secret": ...) and at
 * "://" for credentials in URLs. Ordinary text costs a table lookup per
 * byte and a switch per long word: no regular expressions.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "kr_diag.h"

enum {
	R_AWS_KEY_ID,
	R_AWS_SECRET,
	R_GCP_API_KEY,
	R_GCP_CLIENT_SECRET,
	R_GCP_OAUTH_TOKEN,
	R_AZURE_STORAGE_KEY,
	R_AZURE_SAS,
	R_AZURE_CLIENT_SECRET,
	R_GITHUB_TOKEN,
	R_GITHUB_OAUTH,
	R_GITHUB_APP,
	R_GITHUB_REFRESH,
	R_GITHUB_FINE,
	R_GITLAB_TOKEN,
	R_GITLAB_RUNNER,
	R_GITLAB_DEPLOY,
	R_GITLAB_TRIGGER,
	R_BITBUCKET_APP,
	R_BITBUCKET_ACCESS,
	R_ATLASSIAN,
	R_SLACK_TOKEN,
	R_SLACK_WEBHOOK,
	R_DISCORD_WEBHOOK,
	R_DISCORD_BOT,
	R_TELEGRAM,
	R_TWILIO,
	R_SENDGRID,
	R_MAILGUN,
	R_STRIPE,
	R_STRIPE_WEBHOOK,
	R_SHOPIFY,
	R_NPM,
	R_PYPI,
	R_DOCKERHUB,
	R_DIGITALOCEAN,
	R_HEROKU,
	R_VAULT,
	R_TERRAFORM,
	R_OPENAI,
	R_ANTHROPIC,
	R_HUGGINGFACE,
	R_DATABRICKS,
	R_AGE,
	R_JWT,
	R_PRIVATE_KEY,
	R_OPENSSH_KEY,
	R_PGP_KEY,
	R_DB_URL,
	R_URL_CREDS,
	R_BEARER,
	R_BASIC,
	R_AUTH,
	R_CLIENT_SECRET,
	R_ACCESS_KEY,
	R_API_KEY,
	R_PASSWORD,
	R_SECRET,
	R_TOKEN,
	R_CREDENTIAL,
	R_GENERIC,
	R_K8S,
	R_NBUILTIN
};

const char *const builtin_rules[] = {
    "aws-access-key-id",
    "aws-secret-access-key",
    "gcp-api-key",
    "gcp-oauth-client-secret",
    "gcp-oauth-token",
    "azure-storage-key",
    "azure-sas-token",
    "azure-client-secret",
    "github-token",
    "github-oauth-token",
    "github-app-token",
    "github-refresh-token",
    "github-fine-grained-token",
    "gitlab-token",
    "gitlab-runner-token",
    "gitlab-deploy-token",
    "gitlab-trigger-token",
    "bitbucket-app-password",
    "bitbucket-access-token",
    "atlassian-api-token",
    "slack-token",
    "slack-webhook",
    "discord-webhook",
    "discord-bot-token",
    "telegram-bot-token",
    "twilio-api-key",
    "sendgrid-api-key",
    "mailgun-api-key",
    "stripe-secret-key",
    "stripe-webhook-secret",
    "shopify-token",
    "npm-token",
    "pypi-token",
    "dockerhub-token",
    "digitalocean-token",
    "heroku-api-key",
    "vault-token",
    "terraform-cloud-token",
    "openai-api-key",
    "anthropic-api-key",
    "huggingface-token",
    "databricks-token",
    "age-secret-key",
    "jwt",
    "private-key",
    "openssh-private-key",
    "pgp-private-key",
    "database-url",
    "url-credentials",
    "auth-bearer",
    "auth-basic",
    "authorization",
    "client-secret",
    "access-key",
    "api-key",
    "password",
    "secret",
    "token",
    "credential",
    "generic-secret",
    "kubernetes-secret",
    /* vendors[], in this order */
    "1password-service-token",
    "adobe-client-secret",
    "age-plugin-identity",
    "airtable-pat",
    "alibaba-access-key-id",
    "anthropic-admin-key",
    "artifactory-api-key",
    "artifactory-reference-token",
    "authress-key",
    "buildkite-token",
    "circleci-token",
    "clerk-secret-key",
    "clojars-token",
    "cloudflare-origin-ca-key",
    "contentful-token",
    "defined-networking-key",
    "deno-deploy-token",
    "doppler-token",
    "dropbox-token",
    "duffel-token",
    "dynatrace-token",
    "easypost-key",
    "facebook-access-token",
    "figma-token",
    "firebase-fcm-key",
    "flutterwave-key",
    "flyio-token",
    "frameio-token",
    "github-app-installation-token",
    "gitlab-agent-token",
    "gitlab-feed-token",
    "grafana-cloud-token",
    "grafana-service-account-token",
    "groq-api-key",
    "harness-pat",
    "heroku-oauth-token",
    "huggingface-org-token",
    "infracost-key",
    "intra42-secret",
    "langsmith-key",
    "linear-api-key",
    "lob-api-key",
    "mapbox-secret-token",
    "newrelic-browser-key",
    "newrelic-insert-key",
    "newrelic-user-key",
    "notion-token",
    "nuget-api-key",
    "nvidia-api-key",
    "octopus-deploy-key",
    "openai-admin-key",
    "openrouter-api-key",
    "openshift-token",
    "perplexity-api-key",
    "pinecone-api-key",
    "plaid-access-token",
    "planetscale-token",
    "posthog-personal-key",
    "postman-api-key",
    "prefect-api-key",
    "pulumi-token",
    "readme-api-key",
    "render-api-key",
    "replicate-token",
    "resend-api-key",
    "rubygems-api-key",
    "scalingo-token",
    "sendinblue-api-key",
    "sentry-org-token",
    "sentry-user-token",
    "settlemint-token",
    "shippo-token",
    "shopify-partner-token",
    "snyk-token",
    "sonarqube-token",
    "sourcegraph-token",
    "square-access-token",
    "square-oauth-secret",
    "stripe-restricted-key",
    "supabase-token",
    "tailscale-key",
    "twitter-bearer-token",
    "typeform-token",
    "vercel-token",
    "xai-api-key",
};
const size_t nbuiltin_rules = sizeof builtin_rules / sizeof builtin_rules[0];

/* Not a rule of its own: the key names an Authorization header. */
#define R_AUTH_HEADER (-2)

#define C_ALNUM 0x01 /* A-Za-z0-9 */
#define C_RUN 0x02   /* alnum _ - . ~: what a token is made of */
#define C_URL64 0x04 /* alnum - _ */
#define C_B64 0x08   /* alnum + / = */
#define C_HEX 0x10
#define C_KEY 0x20   /* alnum _ - . */
#define C_WORD 0x40  /* alnum _ */
#define C_UPNUM 0x80 /* A-Z 0-9 */

static unsigned char cls[256];
/* A key's bytes as rules know them: A-Z lowercased; _ - . left out. */
static unsigned char kfold[256], kkeep[256];
/* The bytes rules_scan stops at: a run's, '=', ':' and '>'. */
static unsigned char scan_stop[256];

static void vendors_init(void);
static void keys_init(void);
static void cred_init(void);
static void dispatch_init(void);

static void
cls_init(void)
{
	int ch;

	if (cls['a'] != 0)
		return;
	vendors_init();
	keys_init();
	dispatch_init();
	cred_init();
	for (ch = 0; ch < 256; ch++) {
		int up = ch >= 'A' && ch <= 'Z', lo = ch >= 'a' && ch <= 'z';
		int dg = ch >= '0' && ch <= '9';
		unsigned m = 0;

		if (up || lo || dg)
			m |= C_ALNUM | C_RUN | C_URL64 | C_B64 | C_KEY | C_WORD;
		if (up || dg)
			m |= C_UPNUM;
		if (dg || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))
			m |= C_HEX;
		if (ch == '_')
			m |= C_RUN | C_URL64 | C_KEY | C_WORD;
		if (ch == '-')
			m |= C_RUN | C_URL64 | C_KEY;
		if (ch == '.')
			m |= C_RUN | C_KEY;
		if (ch == '~')
			m |= C_RUN;
		if (ch == '+' || ch == '/' || ch == '=')
			m |= C_B64;
		cls[ch] = (unsigned char)m;
		kfold[ch] = (unsigned char)(up ? ch | 0x20 : ch);
		kkeep[ch] = ch != '_' && ch != '-' && ch != '.';
		scan_stop[ch] = (m & C_RUN) || ch == '=' || ch == ':' ||
				ch == '>';
	}
}

#define IS(c, m) (cls[(unsigned char)(c)] & (m))

struct ctx {
	const char *t;
	size_t n, from;
	int more;
	struct pem_state *pem;
	struct spans *sp;
};

void
spans_add(struct spans *sp, size_t start, size_t end, int rule, int counted)
{
	struct span *v;

	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;

		if ((v = realloc(sp->v, cap * sizeof *v)) == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		sp->v = v;
		sp->cap = cap;
	}
	sp->v[sp->n].start = start;
	sp->v[sp->n].end = end;
	sp->v[sp->n].rule = rule;
	sp->v[sp->n].counted = counted;
	sp->n++;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->rule - y->rule;
}

void
spans_merge(struct spans *sp)
{
	size_t i, k;

	if (sp->n < 2)
		return;
	qsort(sp->v, sp->n, sizeof sp->v[0], span_cmp);
	for (k = 0, i = 1; i < sp->n; i++) {
		if (sp->v[i].start < sp->v[k].end) {
			if (sp->v[i].end > sp->v[k].end)
				sp->v[k].end = sp->v[i].end;
			if (sp->v[i].counted > sp->v[k].counted)
				sp->v[k].counted = sp->v[i].counted;
		} else
			sp->v[++k] = sp->v[i];
	}
	sp->n = k + 1;
}

/* Only what reaches into this record's own part is kept. */
static void
add(struct ctx *c, size_t s, size_t e, int rule)
{
	if (e > s && e > c->from)
		spans_add(c->sp, s, e, rule, 1);
}

static size_t
run(const struct ctx *c, size_t i, unsigned m)
{
	size_t j = i;

	while (j < c->n && IS(c->t[j], m))
		j++;
	return j - i;
}

static int
at_n(const struct ctx *c, size_t i, const char *lit, size_t l)
{
	return i <= c->n && c->n - i >= l && memcmp(c->t + i, lit, l) == 0;
}

/* A string literal at t[i]: its length known at compile time. */
#define at(c, i, lit) at_n((c), (i), "" lit, sizeof(lit) - 1)

static int
alnum_at(const struct ctx *c, size_t i)
{
	return i < c->n && IS(c->t[i], C_ALNUM);
}

static int
has_digit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9')
			return 1;
	return 0;
}

/*
 * A token: plen bytes of prefix at s (already checked), then min..max
 * bytes of class m, not followed by an alphanumeric. Its end, or 0.
 */
static size_t
tok(struct ctx *c, size_t s, size_t plen, unsigned m, size_t min, size_t max,
    int rule)
{
	size_t k = run(c, s + plen, m), e = s + plen + k;

	if (k < min || k > max || alnum_at(c, e))
		return 0;
	add(c, s, e, rule);
	return e;
}

struct vseg {
	const char *lead;
	unsigned char llen, cls;
	unsigned short min, max;
};

struct vendor {
	const char *prefix;
	unsigned char plen, nseg;
	int rule;
	struct vseg seg[5];
};

/* Vendor formats: prefix, then segments (a literal lead, then min..max
 * bytes of a class). Names follow builtin_rules[] from R_NBUILTIN on. */
static const struct vendor vendors[] = {
    {"ops_eyJ", 7, 1, R_NBUILTIN + 0, {{"", 0, C_URL64, 250, 2000}}},
    {"p8e-", 4, 1, R_NBUILTIN + 1, {{"", 0, C_HEX, 32, 32}}},
    {"AGE-PLUGIN-", 11, 1, R_NBUILTIN + 2, {{"", 0, C_UPNUM, 30, 100}}},
    {"pat", 3, 2, R_NBUILTIN + 3, {{"", 0, C_ALNUM, 14, 14}, {".", 1, C_HEX, 64, 64}}},
    {"LTAI", 4, 1, R_NBUILTIN + 4, {{"", 0, C_ALNUM, 20, 20}}},
    {"sk-ant-admin01-", 15, 1, R_NBUILTIN + 5, {{"", 0, C_URL64, 80, 120}}},
    {"AKCp", 4, 1, R_NBUILTIN + 6, {{"", 0, C_ALNUM, 69, 69}}},
    {"cmVmdGtu", 8, 1, R_NBUILTIN + 7, {{"", 0, C_ALNUM, 56, 56}}},
    {"sc_", 3, 3, R_NBUILTIN + 8, {{"", 0, C_ALNUM, 10, 32}, {".", 1, C_ALNUM, 5, 30}, {".acc", 4, C_WORD, 4, 4}}},
    {"ext_", 4, 3, R_NBUILTIN + 8, {{"", 0, C_ALNUM, 10, 32}, {".", 1, C_ALNUM, 5, 30}, {".acc", 4, C_WORD, 4, 4}}},
    {"scauth_", 7, 3, R_NBUILTIN + 8, {{"", 0, C_ALNUM, 10, 32}, {".", 1, C_ALNUM, 5, 30}, {".acc", 4, C_WORD, 4, 4}}},
    {"authress_", 9, 3, R_NBUILTIN + 8, {{"", 0, C_ALNUM, 10, 32}, {".", 1, C_ALNUM, 5, 30}, {".acc", 4, C_WORD, 4, 4}}},
    {"bkua_", 5, 1, R_NBUILTIN + 9, {{"", 0, C_HEX, 40, 40}}},
    {"CCIPAT_", 7, 2, R_NBUILTIN + 10, {{"", 0, C_ALNUM, 22, 22}, {"_", 1, C_HEX, 40, 40}}},
    {"sk_prod_", 8, 1, R_NBUILTIN + 11, {{"", 0, C_ALNUM, 40, 60}}},
    {"CLOJARS_", 8, 1, R_NBUILTIN + 12, {{"", 0, C_ALNUM, 60, 60}}},
    {"v1.0-", 5, 2, R_NBUILTIN + 13, {{"", 0, C_HEX, 24, 24}, {"-", 1, C_HEX, 146, 146}}},
    {"CFPAT-", 6, 1, R_NBUILTIN + 14, {{"", 0, C_URL64, 43, 43}}},
    {"dnkey-", 6, 2, R_NBUILTIN + 15, {{"", 0, C_URL64, 26, 26}, {"-", 1, C_URL64, 52, 52}}},
    {"ddp_", 4, 1, R_NBUILTIN + 16, {{"", 0, C_ALNUM, 36, 36}}},
    {"ddw_", 4, 1, R_NBUILTIN + 16, {{"", 0, C_ALNUM, 36, 36}}},
    {"dp.pt.", 6, 1, R_NBUILTIN + 17, {{"", 0, C_ALNUM, 40, 44}}},
    {"dp.st.", 6, 1, R_NBUILTIN + 17, {{"", 0, C_ALNUM, 40, 44}}},
    {"dp.ct.", 6, 1, R_NBUILTIN + 17, {{"", 0, C_ALNUM, 40, 44}}},
    {"dp.sa.", 6, 1, R_NBUILTIN + 17, {{"", 0, C_ALNUM, 40, 44}}},
    {"dp.scim.", 8, 1, R_NBUILTIN + 17, {{"", 0, C_ALNUM, 40, 44}}},
    {"dp.audit.", 9, 1, R_NBUILTIN + 17, {{"", 0, C_ALNUM, 40, 44}}},
    {"sl.B", 4, 1, R_NBUILTIN + 18, {{"", 0, C_URL64, 60, 1400}}},
    {"sl.u.", 5, 1, R_NBUILTIN + 18, {{"", 0, C_URL64, 60, 1400}}},
    {"duffel_test_", 12, 1, R_NBUILTIN + 19, {{"", 0, C_URL64, 43, 43}}},
    {"duffel_live_", 12, 1, R_NBUILTIN + 19, {{"", 0, C_URL64, 43, 43}}},
    {"dt0c01.", 7, 2, R_NBUILTIN + 20, {{"", 0, C_UPNUM, 24, 24}, {".", 1, C_UPNUM, 64, 64}}},
    {"EZAK", 4, 1, R_NBUILTIN + 21, {{"", 0, C_ALNUM, 54, 54}}},
    {"EZTK", 4, 1, R_NBUILTIN + 21, {{"", 0, C_ALNUM, 54, 54}}},
    {"EAACEdEose0cBA", 14, 1, R_NBUILTIN + 22, {{"", 0, C_ALNUM, 20, 300}}},
    {"figd_", 5, 1, R_NBUILTIN + 23, {{"", 0, C_URL64, 40, 40}}},
    {"AAAA", 4, 2, R_NBUILTIN + 24, {{"", 0, C_URL64, 7, 7}, {":APA91b", 7, C_URL64, 134, 140}}},
    {"FLWSECK_TEST-", 13, 2, R_NBUILTIN + 25, {{"", 0, C_HEX, 32, 32}, {"-X", 2, 0, 0, 0}}},
    {"FLWSECK-", 8, 2, R_NBUILTIN + 25, {{"", 0, C_HEX, 32, 32}, {"-X", 2, 0, 0, 0}}},
    {"FLWPUBK_TEST-", 13, 2, R_NBUILTIN + 25, {{"", 0, C_HEX, 32, 32}, {"-X", 2, 0, 0, 0}}},
    {"fo1_", 4, 1, R_NBUILTIN + 26, {{"", 0, C_URL64, 43, 43}}},
    {"fio-u-", 6, 1, R_NBUILTIN + 27, {{"", 0, C_URL64, 64, 64}}},
    {"v1.", 3, 1, R_NBUILTIN + 28, {{"", 0, C_HEX, 40, 40}}},
    {"glagent-", 8, 1, R_NBUILTIN + 29, {{"", 0, C_URL64, 50, 50}}},
    {"glft-", 5, 1, R_NBUILTIN + 30, {{"", 0, C_URL64, 20, 20}}},
    {"glc_", 4, 1, R_NBUILTIN + 31, {{"", 0, C_ALNUM, 32, 400}}},
    {"glsa_", 5, 2, R_NBUILTIN + 32, {{"", 0, C_ALNUM, 32, 32}, {"_", 1, C_HEX, 8, 8}}},
    {"gsk_", 4, 1, R_NBUILTIN + 33, {{"", 0, C_ALNUM, 52, 52}}},
    {"pat.", 4, 3, R_NBUILTIN + 34, {{"", 0, C_URL64, 22, 22}, {".", 1, C_HEX, 24, 24}, {".", 1, C_ALNUM, 20, 20}}},
    {"sat.", 4, 3, R_NBUILTIN + 34, {{"", 0, C_URL64, 22, 22}, {".", 1, C_HEX, 24, 24}, {".", 1, C_ALNUM, 20, 20}}},
    {"HRKU-AA", 7, 1, R_NBUILTIN + 35, {{"", 0, C_URL64, 58, 58}}},
    {"api_org_", 8, 1, R_NBUILTIN + 36, {{"", 0, C_ALNUM, 34, 34}}},
    {"ico-", 4, 1, R_NBUILTIN + 37, {{"", 0, C_ALNUM, 32, 32}}},
    {"s-s4t2ud-", 9, 1, R_NBUILTIN + 38, {{"", 0, C_HEX, 64, 64}}},
    {"s-s4t2af-", 9, 1, R_NBUILTIN + 38, {{"", 0, C_HEX, 64, 64}}},
    {"lsv2_pt_", 8, 2, R_NBUILTIN + 39, {{"", 0, C_HEX, 32, 32}, {"_", 1, C_HEX, 10, 10}}},
    {"lsv2_sk_", 8, 2, R_NBUILTIN + 39, {{"", 0, C_HEX, 32, 32}, {"_", 1, C_HEX, 10, 10}}},
    {"lin_api_", 8, 1, R_NBUILTIN + 40, {{"", 0, C_ALNUM, 40, 40}}},
    {"live_pub_", 9, 1, R_NBUILTIN + 41, {{"", 0, C_HEX, 31, 31}}},
    {"test_pub_", 9, 1, R_NBUILTIN + 41, {{"", 0, C_HEX, 31, 31}}},
    {"sk.eyJ", 6, 2, R_NBUILTIN + 42, {{"", 0, C_URL64, 50, 300}, {".", 1, C_URL64, 22, 22}}},
    {"NRJS-", 5, 1, R_NBUILTIN + 43, {{"", 0, C_HEX, 19, 19}}},
    {"NRII-", 5, 1, R_NBUILTIN + 44, {{"", 0, C_URL64, 32, 32}}},
    {"NRAK-", 5, 1, R_NBUILTIN + 45, {{"", 0, C_UPNUM, 27, 27}}},
    {"ntn_", 4, 1, R_NBUILTIN + 46, {{"", 0, C_ALNUM, 46, 46}}},
    {"oy2", 3, 1, R_NBUILTIN + 47, {{"", 0, C_ALNUM, 43, 43}}},
    {"nvapi-", 6, 1, R_NBUILTIN + 48, {{"", 0, C_URL64, 64, 64}}},
    {"API-", 4, 1, R_NBUILTIN + 49, {{"", 0, C_UPNUM, 26, 26}}},
    {"sk-admin-", 9, 1, R_NBUILTIN + 50, {{"", 0, C_URL64, 40, 200}}},
    {"sk-or-v1-", 9, 1, R_NBUILTIN + 51, {{"", 0, C_HEX, 64, 64}}},
    {"sha256~", 7, 1, R_NBUILTIN + 52, {{"", 0, C_URL64, 43, 43}}},
    {"pplx-", 5, 1, R_NBUILTIN + 53, {{"", 0, C_ALNUM, 48, 48}}},
    {"pcsk_", 5, 2, R_NBUILTIN + 54, {{"", 0, C_ALNUM, 5, 7}, {"_", 1, C_ALNUM, 60, 70}}},
    {"access-sandbox-", 15, 5, R_NBUILTIN + 55, {{"", 0, C_HEX, 8, 8}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 12, 12}}},
    {"access-development-", 19, 5, R_NBUILTIN + 55, {{"", 0, C_HEX, 8, 8}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 12, 12}}},
    {"access-production-", 18, 5, R_NBUILTIN + 55, {{"", 0, C_HEX, 8, 8}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 4, 4}, {"-", 1, C_HEX, 12, 12}}},
    {"pscale_tkn_", 11, 1, R_NBUILTIN + 56, {{"", 0, C_URL64, 32, 64}}},
    {"pscale_pw_", 10, 1, R_NBUILTIN + 56, {{"", 0, C_URL64, 32, 64}}},
    {"pscale_oauth_", 13, 1, R_NBUILTIN + 56, {{"", 0, C_URL64, 32, 64}}},
    {"phx_", 4, 1, R_NBUILTIN + 57, {{"", 0, C_ALNUM, 40, 60}}},
    {"PMAK-", 5, 2, R_NBUILTIN + 58, {{"", 0, C_HEX, 24, 24}, {"-", 1, C_HEX, 34, 34}}},
    {"pnu_", 4, 1, R_NBUILTIN + 59, {{"", 0, C_ALNUM, 36, 36}}},
    {"pul-", 4, 1, R_NBUILTIN + 60, {{"", 0, C_HEX, 40, 40}}},
    {"rdme_", 5, 1, R_NBUILTIN + 61, {{"", 0, C_ALNUM, 70, 70}}},
    {"rnd_", 4, 1, R_NBUILTIN + 62, {{"", 0, C_ALNUM, 32, 32}}},
    {"r8_", 3, 1, R_NBUILTIN + 63, {{"", 0, C_ALNUM, 37, 37}}},
    {"re_", 3, 2, R_NBUILTIN + 64, {{"", 0, C_ALNUM, 8, 8}, {"_", 1, C_URL64, 24, 24}}},
    {"rubygems_", 9, 1, R_NBUILTIN + 65, {{"", 0, C_HEX, 48, 48}}},
    {"tk-us-", 6, 1, R_NBUILTIN + 66, {{"", 0, C_URL64, 48, 48}}},
    {"xkeysib-", 8, 2, R_NBUILTIN + 67, {{"", 0, C_HEX, 64, 64}, {"-", 1, C_ALNUM, 16, 16}}},
    {"sntrys_", 7, 1, R_NBUILTIN + 68, {{"", 0, C_URL64, 60, 400}}},
    {"sntryu_", 7, 1, R_NBUILTIN + 69, {{"", 0, C_HEX, 64, 64}}},
    {"sm_pat_", 7, 1, R_NBUILTIN + 70, {{"", 0, C_ALNUM, 16, 16}}},
    {"sm_aat_", 7, 1, R_NBUILTIN + 70, {{"", 0, C_ALNUM, 16, 16}}},
    {"sm_sat_", 7, 1, R_NBUILTIN + 70, {{"", 0, C_ALNUM, 16, 16}}},
    {"shippo_live_", 12, 1, R_NBUILTIN + 71, {{"", 0, C_HEX, 40, 40}}},
    {"shippo_test_", 12, 1, R_NBUILTIN + 71, {{"", 0, C_HEX, 40, 40}}},
    {"prtapi_", 7, 1, R_NBUILTIN + 72, {{"", 0, C_HEX, 32, 32}}},
    {"snyk_uat.", 9, 2, R_NBUILTIN + 73, {{"", 0, C_HEX, 8, 8}, {".", 1, C_URL64, 40, 120}}},
    {"snyk_sat.", 9, 2, R_NBUILTIN + 73, {{"", 0, C_HEX, 8, 8}, {".", 1, C_URL64, 40, 120}}},
    {"squ_", 4, 1, R_NBUILTIN + 74, {{"", 0, C_HEX, 40, 40}}},
    {"sqp_", 4, 1, R_NBUILTIN + 74, {{"", 0, C_HEX, 40, 40}}},
    {"sqa_", 4, 1, R_NBUILTIN + 74, {{"", 0, C_HEX, 40, 40}}},
    {"sgp_", 4, 2, R_NBUILTIN + 75, {{"", 0, C_HEX, 16, 16}, {"_", 1, C_HEX, 40, 40}}},
    {"sq0atp-", 7, 1, R_NBUILTIN + 76, {{"", 0, C_URL64, 22, 22}}},
    {"sq0csp-", 7, 1, R_NBUILTIN + 77, {{"", 0, C_URL64, 43, 43}}},
    {"rk_prod_", 8, 1, R_NBUILTIN + 78, {{"", 0, C_ALNUM, 24, 247}}},
    {"sbp_", 4, 1, R_NBUILTIN + 79, {{"", 0, C_HEX, 40, 40}}},
    {"tskey-api-", 10, 2, R_NBUILTIN + 80, {{"", 0, C_ALNUM, 10, 20}, {"-", 1, C_ALNUM, 20, 40}}},
    {"tskey-auth-", 11, 2, R_NBUILTIN + 80, {{"", 0, C_ALNUM, 10, 20}, {"-", 1, C_ALNUM, 20, 40}}},
    {"tskey-client-", 13, 2, R_NBUILTIN + 80, {{"", 0, C_ALNUM, 10, 20}, {"-", 1, C_ALNUM, 20, 40}}},
    {"AAAAAAAAAAAAAAAAAAAAA", 21, 1, R_NBUILTIN + 81, {{"", 0, C_URL64, 40, 120}}},
    {"tfp_", 4, 1, R_NBUILTIN + 82, {{"", 0, C_WORD, 59, 59}}},
    {"vcp_", 4, 1, R_NBUILTIN + 83, {{"", 0, C_ALNUM, 56, 56}}},
    {"vci_", 4, 1, R_NBUILTIN + 83, {{"", 0, C_ALNUM, 56, 56}}},
    {"vca_", 4, 1, R_NBUILTIN + 83, {{"", 0, C_ALNUM, 56, 56}}},
    {"vcr_", 4, 1, R_NBUILTIN + 83, {{"", 0, C_ALNUM, 56, 56}}},
    {"vck_", 4, 1, R_NBUILTIN + 83, {{"", 0, C_ALNUM, 56, 56}}},
    {"xai-", 4, 1, R_NBUILTIN + 84, {{"", 0, C_ALNUM, 80, 80}}},
};

#define NVENDORS (sizeof vendors / sizeof vendors[0])

/* vendors[] by first byte: vorder[vstart[c] .. vstart[c + 1]). */
static unsigned char vorder[NVENDORS];
static unsigned short vstart[257];
/* The first two bytes of every prefix. */
static unsigned char vfirst2[65536 / 8];

static void
vendors_init(void)
{
	size_t i, k = 0;
	unsigned ch, two;

	for (ch = 0; ch < 256; ch++) {
		vstart[ch] = (unsigned short)k;
		for (i = 0; i < NVENDORS; i++)
			if ((unsigned char)vendors[i].prefix[0] == ch)
				vorder[k++] = (unsigned char)i;
	}
	vstart[256] = (unsigned short)k;
	for (i = 0; i < NVENDORS; i++) {
		two = (unsigned)(unsigned char)vendors[i].prefix[0] << 8 |
		      (unsigned char)vendors[i].prefix[1];
		vfirst2[two >> 3] |= (unsigned char)(1u << (two & 7));
	}
}

/* A vendor format at s: its end, or 0. */
static size_t
vendor_at(struct ctx *c, size_t s, const struct vendor *v)
{
	size_t p = s + v->plen, k;
	int i;

	for (i = 0; i < v->nseg; i++) {
		const struct vseg *g = &v->seg[i];

		if (g->llen > 0 && !at_n(c, p, g->lead, g->llen))
			return 0;
		p += g->llen;
		if (g->cls == 0)
			continue;
		k = run(c, p, g->cls);
		if (k < g->min)
			return 0;
		if (k > g->max) {
			/* Only a separator that the class also holds may
			 * follow: the next segment's lead. */
			if (i + 1 == v->nseg)
				return 0;
			k = g->max;
		}
		p += k;
	}
	if (alnum_at(c, p))
		return 0;
	add(c, s, p, v->rule);
	return p;
}

static size_t
vendor(struct ctx *c, size_t s, size_t e)
{
	const unsigned char *u = (const unsigned char *)c->t + s;
	unsigned two;
	size_t i, r;

	if (e - s < 2)
		return 0;
	two = (unsigned)u[0] << 8 | u[1];
	if (!(vfirst2[two >> 3] & (1u << (two & 7))))
		return 0;
	for (i = vstart[u[0]]; i < vstart[u[0] + 1]; i++) {
		const struct vendor *v = &vendors[vorder[i]];

		if (at_n(c, s, v->prefix, v->plen) &&
		    (r = vendor_at(c, s, v)) != 0)
			return r;
	}
	return 0;
}

/*
 * GitHub's tokens (and npm's): 30 random base62 characters, then the
 * CRC32 of those, in 6 base62 digits (0-9A-Za-z), zeros first.
 */
static int
gh_checks(const char *p)
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned long crc = 0xffffffffUL;
	char sum[6];
	int i, b;

	for (i = 0; i < 30; i++) {
		crc ^= (unsigned char)p[i];
		for (b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320UL : crc >> 1;
	}
	crc ^= 0xffffffffUL;
	for (i = 5; i >= 0; i--) {
		sum[i] = b62[crc % 62];
		crc /= 62;
	}
	return memcmp(sum, p + 30, 6) == 0;
}

/* Fewer than 10 distinct characters: a placeholder, not a token. */
static int
plain_fill(const char *p, size_t n)
{
	unsigned char seen[256] = {0};
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!seen[(unsigned char)p[i]]++)
			k++;
	return k < 10;
}

/* ghp_ gho_ ghu_ ghs_ with 36 of [A-Za-z0-9]; a placeholder that fails
 * the checksum is left alone. */
static size_t
github(struct ctx *c, size_t s, int rule)
{
	if (run(c, s + 4, C_ALNUM) == 36 && !gh_checks(c->t + s + 4) &&
	    plain_fill(c->t + s + 4, 36))
		return 0;
	return tok(c, s, 4, C_ALNUM, 36, 36, rule);
}

/*
 * A GitHub token whose checksum holds, inside the run s..e (glued to
 * other text, where its shape alone says too little).
 */
static size_t
github_inside(struct ctx *c, size_t s, size_t e)
{
	const char *t = c->t, *g;
	size_t k = s, r = 0;

	while (k + 40 <= e &&
	       (g = memmem(t + k, e - k, "gh", 2)) != NULL) {
		k = (size_t)(g - t);
		if (k + 40 <= e && strchr("pous", t[k + 2]) != NULL &&
		    t[k + 3] == '_' && gh_checks(t + k + 4) &&
		    run(c, k + 4, C_ALNUM) >= 36) {
			add(c, k, k + 40,
			    t[k + 2] == 'p'   ? R_GITHUB_TOKEN
			    : t[k + 2] == 'o' ? R_GITHUB_OAUTH
					      : R_GITHUB_APP);
			r = k + 40;
			k += 40;
		} else
			k++;
	}
	return r;
}

/* Atlassian tokens: base64url, then "=" and an 8-digit hex checksum. */
static size_t
atlassian(struct ctx *c, size_t s, int rule)
{
	size_t k = run(c, s + 5, C_URL64), e = s + 5 + k;

	if (k < 60)
		return 0;
	if (at(c, e, "=") && run(c, e + 1, C_HEX) == 8)
		e += 9;
	if (alnum_at(c, e))
		return 0;
	add(c, s, e, rule);
	return e;
}

/* GitLab tokens: base64url, dots in the newer format; a final dot ends
 * the sentence, not the token. */
static size_t
gitlab(struct ctx *c, size_t s, size_t plen, int rule)
{
	size_t k = run(c, s + plen, C_KEY);

	while (k > 0 && c->t[s + plen + k - 1] == '.')
		k--;
	if (k < 20 || k > 120)
		return 0;
	add(c, s, s + plen + k, rule);
	return s + plen + k;
}

static size_t
slack(struct ctx *c, size_t s)
{
	size_t p = s, k;

	if (at(c, p, "xoxe."))
		p += 5;
	if (!(at(c, p, "xapp-") || (at(c, p, "xox") && p + 4 < c->n &&
				       strchr("abeoprs", c->t[p + 3]) != NULL &&
				       c->t[p + 4] == '-')))
		return 0;
	k = run(c, p + 5, C_URL64);
	if (k < 10 || !has_digit(c->t + p + 5, k))
		return 0;
	add(c, s, p + 5 + k, R_SLACK_TOKEN);
	return p + 5 + k;
}

/* A webhook URL's secret path: [A-Za-z0-9_/-]{min,}. */
static size_t
hook_path(struct ctx *c, size_t p, size_t min, int rule)
{
	size_t e = p;

	while (e < c->n && (IS(c->t[e], C_URL64) || c->t[e] == '/'))
		e++;
	if (e - p < min)
		return 0;
	add(c, p, e, rule);
	return e;
}

static size_t
discord_hook(struct ctx *c, size_t p)
{
	size_t k = run(c, p, C_ALNUM), k2;

	if (k < 17 || k > 20 || !at(c, p + k, "/"))
		return 0;
	k2 = run(c, p + k + 1, C_URL64);
	if (k2 < 60 || k2 > 80)
		return 0;
	add(c, p, p + k + 1 + k2, R_DISCORD_WEBHOOK);
	return p + k + 1 + k2;
}

static size_t
discord_bot(struct ctx *c, size_t s)
{
	size_t k1 = run(c, s, C_URL64), p, k3;

	if (k1 < 24 || k1 > 26 || !at(c, s + k1, "."))
		return 0;
	p = s + k1 + 1;
	if (run(c, p, C_URL64) != 6 || !at(c, p + 6, "."))
		return 0;
	p += 7;
	k3 = run(c, p, C_URL64);
	if (k3 < 27 || k3 > 38)
		return 0;
	add(c, s, p + k3, R_DISCORD_BOT);
	return p + k3;
}

static size_t
openai(struct ctx *c, size_t s)
{
	size_t p = s + 3, k;
	int strong = 1;

	if (at(c, p, "proj-"))
		p += 5;
	else if (at(c, p, "svcacct-"))
		p += 8;
	else if (at(c, p, "admin-"))
		p += 6;
	else
		strong = 0;
	k = run(c, p, C_URL64);
	if (k < 40 || k > 300)
		return 0;
	if (!strong && memmem(c->t + p, k, "T3BlbkFJ", 8) == NULL)
		return 0;
	add(c, s, p + k, R_OPENAI);
	return p + k;
}

static size_t
jwt(struct ctx *c, size_t s)
{
	size_t p, k, parts = 1;

	p = s + run(c, s, C_URL64);
	if (p - s < 10 || !at(c, p, "."))
		return 0;
	k = run(c, p + 1, C_URL64);
	if (k < 10 || !at(c, p + 1 + k, "."))
		return 0;
	p += 1 + k;
	/* The signature may be empty (alg "none"); JWE has five parts. */
	while (parts < 5 && at(c, p, ".")) {
		p += 1 + run(c, p + 1, C_URL64);
		parts += 1 + (parts == 1);
	}
	add(c, s, p, R_JWT);
	return p;
}

/* Does base64 text decode to something with a ':' (user:password)? */
static int
b64_colon(const char *p, size_t n)
{
	unsigned acc = 0, bits = 0, v;
	size_t i;

	for (i = 0; i < n && p[i] != '='; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+')
			v = 62;
		else if (ch == '/')
			v = 63;
		else
			return 0;
		acc = (acc << 6 | v) & 0xffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (((acc >> bits) & 0xff) == ':')
				return 1;
		}
	}
	return 0;
}

static size_t dispatch_at(struct ctx *, size_t, size_t);
/*
 * The first two bytes of what dispatch_at's switch looks for, in step
 * with it ('*': any second byte); dispatch_init adds the vendors'. And
 * the length from which a run may hold a format without a prefix.
 */
static const char *const dispatch_pairs[] = {"--", "AB", "AC", "AG", "AI",
    "AK", "AS", "AT", "BA", "Ba", "BE", "Be", "bA", "ba", "bE", "be", "GO",
    "GR", "HR", "M*", "N*", "O*", "SG", "SK", "da", "dc", "di", "do", "ey",
    "gh", "gi", "gl", "hf", "ho", "hv", "ke", "np", "py", "rk", "sh", "sk",
    "wh", "xa", "xo", "ya", NULL};
#define DISPATCH_ANY 37
/* The pairs, a bit each. */
static unsigned char dispatch_two[65536 / 8];

/*
 * dispatch_at for the run s..e, when its first two bytes or its length
 * let it match: most runs are ordinary words, and are passed over here.
 */
static inline size_t
dispatch(struct ctx *c, size_t s, size_t e)
{
	unsigned two;

	if (e - s >= 2 && e - s < DISPATCH_ANY) {
		two = (unsigned)(unsigned char)c->t[s] << 8 |
		      (unsigned char)c->t[s + 1];
		if (!(dispatch_two[two >> 3] & (1u << (two & 7))))
			return 0;
	}
	return dispatch_at(c, s, e);
}

/* Credential characters after a scheme: token68 of RFC 7235. */
static size_t
cred_len(const struct ctx *c, size_t p)
{
	size_t e = p;

	while (e < c->n && (IS(c->t[e], C_RUN) || c->t[e] == '+' ||
			       c->t[e] == '/' || c->t[e] == '='))
		e++;
	return e - p;
}

/*
 * "Bearer x" / "Basic x" at s (the word is s..w). In a header any
 * credential counts; standing alone it must look like one.
 */
static size_t
scheme_cred(struct ctx *c, size_t s, size_t w, int header)
{
	size_t p = w, k, r;
	int basic;

	if (w - s == 6 && strncasecmp(c->t + s, "bearer", 6) == 0)
		basic = 0;
	else if (w - s == 5 && strncasecmp(c->t + s, "basic", 5) == 0)
		basic = 1;
	else
		return 0;
	if (!at(c, p, " "))
		return 0;
	while (at(c, p, " "))
		p++;
	k = cred_len(c, p);
	if (k == 0)
		return 0;
	if (!header && (basic ? k < 8 || k % 4 != 0 || !b64_colon(c->t + p, k)
			      : k < 16 || !has_digit(c->t + p, k)))
		return 0;
	if ((r = dispatch(c, p, p + run(c, p, C_RUN))) != 0)
		return r;
	add(c, p, p + k, basic ? R_BASIC : R_BEARER);
	return p + k;
}

/* Is t[p..e) a line of a PEM body: base64, an armor header, blank? */
static int
pem_body_line(const struct ctx *c, size_t p, size_t e)
{
	static const char *const hdr[] = {"Proc-Type:", "DEK-Info:", "Comment:",
	    "Version:", "Hash:", "Charset:"};
	const char *t = c->t;
	size_t i, w;

	while (p < e && (t[p] == ' ' || t[p] == '\t'))
		p++;
	while (
	    e > p && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r'))
		e--;
	for (i = p; i < e && IS(t[i], C_B64); i++)
		;
	if (i == e)
		return 1;
	for (i = 0; i < sizeof hdr / sizeof hdr[0]; i++)
		if (at_n(c, p, hdr[i], strlen(hdr[i])))
			return 1;
	/* A body line behind a prefix ("[job] MIIEow..."). */
	for (w = e; w > p && IS(t[w - 1], C_B64); w--)
		;
	return e - w >= 40;
}

static int
blank(const struct ctx *c, size_t p, size_t e)
{
	for (; p < e; p++)
		if (c->t[p] != ' ' && c->t[p] != '\t' && c->t[p] != '\r')
			return 0;
	return 1;
}

static size_t
eol_of(const struct ctx *c, size_t p)
{
	const char *nl = memchr(c->t + p, '\n', c->n - p);

	return nl != NULL ? (size_t)(nl - c->t) : c->n;
}

static size_t
find(const struct ctx *c, size_t p, size_t e, const char *lit)
{
	const char *f = memmem(c->t + p, e - p, lit, strlen(lit));

	return f != NULL ? (size_t)(f - c->t) : (size_t)-1;
}

/* Body lines from p on: masked until an END line or another line. */
static size_t
pem_body(struct ctx *c, size_t p)
{
	size_t eol, endm;

	for (;;) {
		eol = eol_of(c, p);
		if ((endm = find(c, p, eol, "-----END ")) != (size_t)-1) {
			if (!blank(c, p, endm))
				spans_add(c->sp, p, endm, c->pem->rule, 0);
			c->pem->mode = PEM_NONE;
			return endm;
		}
		if (!pem_body_line(c, p, eol)) {
			c->pem->mode = PEM_NONE;
			return p;
		}
		if (!blank(c, p, eol))
			spans_add(c->sp, p, eol, c->pem->rule, 0);
		if (eol == c->n)
			return eol;
		p = eol + 1;
	}
}

/*
 * A key's line ended at eol with no END marker: the key goes on, in the
 * next line of this record or (when the record ends here) in the next
 * record, which continues this line when more is set.
 */
static size_t
pem_after_line(struct ctx *c, size_t eol)
{
	if (eol == c->n) {
		c->pem->mode = c->more ? PEM_LINE : PEM_BODY;
		return eol;
	}
	c->pem->mode = PEM_BODY;
	return pem_body(c, eol + 1);
}

static size_t
pem_begin(struct ctx *c, size_t s)
{
	size_t eol = eol_of(c, s), le, endm;
	int rule;

	if ((le = find(c, s + 11, eol, "-----")) == (size_t)-1 ||
	    memmem(c->t + s + 11, le - s - 11, "PRIVATE KEY", 11) == NULL)
		return 0;
	if (memmem(c->t + s + 11, le - s - 11, "OPENSSH", 7) != NULL)
		rule = R_OPENSSH_KEY;
	else if (memmem(c->t + s + 11, le - s - 11, "PGP", 3) != NULL)
		rule = R_PGP_KEY;
	else
		rule = R_PRIVATE_KEY;
	if (eol <= c->from)
		return eol;
	/* A whole key on one line: "-----BEGIN ...\nMII...\n-----END". */
	if ((endm = find(c, le + 5, eol, "-----END ")) != (size_t)-1) {
		spans_add(c->sp, s, endm, rule, 2);
		return endm;
	}
	spans_add(c->sp, s, eol, rule, 2);
	c->pem->rule = rule;
	return pem_after_line(c, eol);
}

/* The record starts inside a key; returns where ordinary scanning goes
 * on. */
static size_t
pem_resume(struct ctx *c)
{
	size_t p = c->from, eol, endm;

	if (c->pem->mode == PEM_BODY)
		return pem_body(c, p);
	eol = eol_of(c, p);
	if ((endm = find(c, p, eol, "-----END ")) != (size_t)-1) {
		spans_add(c->sp, p, endm, c->pem->rule, 0);
		c->pem->mode = PEM_NONE;
		return endm;
	}
	spans_add(c->sp, p, eol, c->pem->rule, 0);
	return pem_after_line(c, eol);
}

/*
 * A run of token characters s..e: the formats known by their prefix.
 * Over 80 lines: one case per first byte, the table of prefixes read best
 * in one piece. A new prefix's first two bytes go in dispatch_pairs too.
 */
static size_t
dispatch_at(struct ctx *c, size_t s, size_t e)
{
	const char *p = c->t + s;
	size_t rl = e - s, r = 0;

	if ((r = vendor(c, s, e)) != 0)
		return r;
	switch (p[0]) {
	case '-':
		if (at(c, s, "-----BEGIN "))
			r = pem_begin(c, s);
		break;
	case 'A':
		if (rl >= 20 && (at(c, s, "AKIA") || at(c, s, "ASIA") ||
				    at(c, s, "ABIA") || at(c, s, "ACCA")))
			r = tok(c, s, 4, C_UPNUM, 16, 16, R_AWS_KEY_ID);
		else if (at(c, s, "AIza"))
			r = tok(c, s, 4, C_URL64, 35, 35, R_GCP_API_KEY);
		else if (at(c, s, "ATBB"))
			r = tok(c, s, 4, C_ALNUM, 32, 32, R_BITBUCKET_APP);
		else if (at(c, s, "ATATT"))
			r = atlassian(c, s, R_ATLASSIAN);
		else if (at(c, s, "ATCTT"))
			r = atlassian(c, s, R_BITBUCKET_ACCESS);
		else if (at(c, s, "AGE-SECRET-KEY-1"))
			r = tok(c, s, 16, C_UPNUM, 58, 58, R_AGE);
		break;
	case 'B':
	case 'b':
		r = scheme_cred(c, s, e, 0);
		break;
	case 'G':
		if (at(c, s, "GOCSPX-"))
			r = tok(c, s, 7, C_URL64, 28, 28, R_GCP_CLIENT_SECRET);
		else if (at(c, s, "GR1348941"))
			r = tok(c, s, 9, C_URL64, 20, 64, R_GITLAB_RUNNER);
		break;
	case 'H':
		if (at(c, s, "HRKU-"))
			r = tok(c, s, 5, C_URL64, 20, 100, R_HEROKU);
		break;
	case 'M':
	case 'N':
	case 'O':
		r = discord_bot(c, s);
		break;
	case 'S':
		if (at(c, s, "SG.") && run(c, s + 3, C_URL64) == 22 &&
		    at(c, s + 25, "."))
			r = tok(c, s, 26, C_URL64, 43, 43, R_SENDGRID);
		else if (at(c, s, "SK"))
			r = tok(c, s, 2, C_HEX, 32, 32, R_TWILIO);
		break;
	case 'd':
		if (at(c, s, "dckr_pat_") || at(c, s, "dckr_oat_"))
			r = tok(c, s, 9, C_URL64, 27, 64, R_DOCKERHUB);
		else if (at(c, s, "dop_v1_") || at(c, s, "doo_v1_") ||
			 at(c, s, "dor_v1_"))
			r = tok(c, s, 7, C_HEX, 64, 64, R_DIGITALOCEAN);
		else if (at(c, s, "dapi"))
			r = tok(c, s, 4, C_HEX, 32, 32, R_DATABRICKS);
		else if (at(c, s, "discord.com/api/webhooks/"))
			r = discord_hook(c, s + 25);
		else if (at(c, s, "discordapp.com/api/webhooks/"))
			r = discord_hook(c, s + 28);
		break;
	case 'e':
		if (at(c, s, "eyJ"))
			r = jwt(c, s);
		break;
	case 'g':
		if (at(c, s, "ghp_"))
			r = github(c, s, R_GITHUB_TOKEN);
		else if (at(c, s, "gho_"))
			r = github(c, s, R_GITHUB_OAUTH);
		else if (at(c, s, "ghu_") || at(c, s, "ghs_"))
			r = github(c, s, R_GITHUB_APP);
		else if (at(c, s, "ghr_"))
			r = tok(c, s, 4, C_ALNUM, 36, 76, R_GITHUB_REFRESH);
		else if (at(c, s, "github_pat_"))
			r = tok(c, s, 11, C_WORD, 70, 100, R_GITHUB_FINE);
		else if (at(c, s, "glpat-") || at(c, s, "glcbt-") ||
			 at(c, s, "gloas-") || at(c, s, "glimt-"))
			r = gitlab(c, s, 6, R_GITLAB_TOKEN);
		else if (at(c, s, "glsoat-") || at(c, s, "glffct-"))
			r = gitlab(c, s, 7, R_GITLAB_TOKEN);
		else if (at(c, s, "glrt-"))
			r = gitlab(c, s, 5, R_GITLAB_RUNNER);
		else if (at(c, s, "gldt-"))
			r = gitlab(c, s, 5, R_GITLAB_DEPLOY);
		else if (at(c, s, "glptt-"))
			r = gitlab(c, s, 6, R_GITLAB_TRIGGER);
		break;
	case 'h':
		if (at(c, s, "hooks.slack.com/services/"))
			r = hook_path(c, s + 25, 20, R_SLACK_WEBHOOK);
		else if (at(c, s, "hooks.slack.com/workflows/"))
			r = hook_path(c, s + 26, 20, R_SLACK_WEBHOOK);
		else if (at(c, s, "hooks.slack.com/triggers/"))
			r = hook_path(c, s + 25, 20, R_SLACK_WEBHOOK);
		else if (at(c, s, "hvs.") || at(c, s, "hvb.") ||
			 at(c, s, "hvr."))
			r = tok(c, s, 4, C_URL64, 24, 1024, R_VAULT);
		else if (at(c, s, "hf_"))
			r = tok(c, s, 3, C_ALNUM, 30, 40, R_HUGGINGFACE);
		break;
	case 'k':
		if (at(c, s, "key-"))
			r = tok(c, s, 4, C_ALNUM, 32, 32, R_MAILGUN);
		break;
	case 'n':
		if (at(c, s, "npm_"))
			r = tok(c, s, 4, C_ALNUM, 36, 36, R_NPM);
		break;
	case 'p':
		if (at(c, s, "pypi-AgE"))
			r = tok(c, s, 8, C_URL64, 50, 1024, R_PYPI);
		break;
	case 'r':
		if (at(c, s, "rk_live_") || at(c, s, "rk_test_"))
			r = tok(c, s, 8, C_ALNUM, 24, 247, R_STRIPE);
		break;
	case 's':
		if (at(c, s, "sk_live_") || at(c, s, "sk_test_"))
			r = tok(c, s, 8, C_ALNUM, 24, 247, R_STRIPE);
		else if (at(c, s, "sk-ant-"))
			r = tok(c, s, 7, C_URL64, 32, 300, R_ANTHROPIC);
		else if (at(c, s, "sk-"))
			r = openai(c, s);
		else if (at(c, s, "shpat_") || at(c, s, "shpca_") ||
			 at(c, s, "shppa_") || at(c, s, "shpss_"))
			r = tok(c, s, 6, C_HEX, 32, 32, R_SHOPIFY);
		break;
	case 'w':
		if (at(c, s, "whsec_"))
			r = tok(c, s, 6, C_ALNUM, 32, 100, R_STRIPE_WEBHOOK);
		break;
	case 'x':
		r = slack(c, s);
		break;
	case 'y':
		if (at(c, s, "ya29."))
			r = tok(c, s, 5, C_URL64, 20, 2048, R_GCP_OAUTH_TOKEN);
		break;
	}
	if (r != 0)
		return r;
	if (rl >= 41 && (r = github_inside(c, s, e)) != 0)
		return r;
	/* Formats without a prefix of their own. */
	if (rl >= 80 && at(c, s + 14, ".atlasv1.") && run(c, s, C_ALNUM) == 14)
		return tok(c, s, 23, C_URL64, 60, 90, R_TERRAFORM);
	if (rl >= DISPATCH_ANY && rl <= 41 && p[3] >= '0' && p[3] <= '9' &&
	    p[4] == 'Q' && p[5] == '~') {
		add(c, s, e, R_AZURE_CLIENT_SECRET);
		return e;
	}
	return 0;
}

static void
dispatch_init(void)
{
	size_t k;
	unsigned ch, two;

	memcpy(dispatch_two, vfirst2, sizeof dispatch_two);
	for (k = 0; dispatch_pairs[k] != NULL; k++) {
		const unsigned char *pr =
		    (const unsigned char *)dispatch_pairs[k];

		for (ch = 0; ch < 256; ch++) {
			if (pr[1] != '*' && ch != pr[1])
				continue;
			two = (unsigned)pr[0] << 8 | ch;
			dispatch_two[two >> 3] |=
			    (unsigned char)(1u << (two & 7));
		}
	}
}

static const char *const db_schemes[] = {"postgres", "postgresql", "mysql",
    "mariadb", "mongodb", "mongodb+srv", "redis", "rediss", "amqp", "amqps",
    "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "couchbase",
    "cassandra", "memcached", "neo4j", "influxdb", "elasticsearch", NULL};

/* scheme://user:password@host at the ':' j. */
static size_t
url(struct ctx *c, size_t j)
{
	const char *t = c->t;
	size_t ss = j, a = j + 3, ae = a, at_ = (size_t)-1, ps, r, i;
	int rule = R_URL_CREDS;

	while (ss > 0 && (IS(t[ss - 1], C_ALNUM) || t[ss - 1] == '+' ||
			     t[ss - 1] == '.' || t[ss - 1] == '-'))
		ss--;
	if (ss == j)
		return 0;
	while (ae < c->n && strchr("/?#\"'<>\\ \t\r\n", t[ae]) == NULL) {
		if (t[ae] == '@')
			at_ = ae;
		ae++;
	}
	if (at_ == (size_t)-1 || at_ == a)
		return 0;
	for (i = 0; db_schemes[i] != NULL; i++)
		if (strlen(db_schemes[i]) == j - ss &&
		    strncasecmp(t + ss, db_schemes[i], j - ss) == 0)
			rule = R_DB_URL;
	ps = a;
	while (ps < at_ && t[ps] != ':')
		ps++;
	if (ps == at_) {
		/* A token as the user name: https://ghp_...@github.com */
		if (at_ - a < 16)
			return at_ + 1;
		ps = a;
	} else
		ps++;
	if (ps == at_ || (at_ - ps == 1 && t[ps] == '*'))
		return at_ + 1;
	if (t[ps] == '$' || (at_ - ps >= 3 && t[ps] == '*' && t[ps + 1] == '*'))
		return at_ + 1;
	if ((r = dispatch(c, ps, ps + run(c, ps, C_RUN))) != 0 && r <= at_)
		return at_ + 1;
	add(c, ps, at_, rule);
	return at_ + 1;
}

/* Telegram: <bot id>:<35 characters>, at the ':' j. */
static size_t
telegram(struct ctx *c, size_t j)
{
	const char *t = c->t;
	size_t ds = j;

	while (ds > 0 && t[ds - 1] >= '0' && t[ds - 1] <= '9')
		ds--;
	if (j - ds < 8 || j - ds > 10)
		return 0;
	if (ds > 0 && IS(t[ds - 1], C_ALNUM) &&
	    !(ds >= 3 && memcmp(t + ds - 3, "bot", 3) == 0))
		return 0;
	if (run(c, j + 1, C_URL64) != 35)
		return 0;
	add(c, ds, j + 36, R_TELEGRAM);
	return j + 36;
}

/* A suffix and its length. */
#define KEY(s, r)                                                              \
	{                                                                      \
		(s), sizeof(s) - 1, (r)                                        \
	}
static const struct {
	const char *suffix;
	size_t len;
	int rule;
} key_rules[] = {
    KEY("proxyauthorization", R_AUTH_HEADER),
    KEY("authorization", R_AUTH_HEADER),
    KEY("cookie", R_AUTH_HEADER),
    KEY("secretaccesskey", R_AWS_SECRET),
    KEY("awssecretkey", R_AWS_SECRET),
    KEY("sharedaccesskey", R_AZURE_STORAGE_KEY),
    KEY("accountkey", R_AZURE_STORAGE_KEY),
    KEY("clientsecret", R_CLIENT_SECRET),
    KEY("privatekey", R_PRIVATE_KEY),
    KEY("accesskey", R_ACCESS_KEY),
    KEY("apikey", R_API_KEY),
    KEY("password", R_PASSWORD),
    KEY("passwd", R_PASSWORD),
    KEY("passphrase", R_PASSWORD),
    KEY("pwd", R_PASSWORD),
    KEY("secretkey", R_SECRET),
    KEY("secretkeybase", R_SECRET),
    KEY("signingkey", R_SECRET),
    KEY("encryptionkey", R_SECRET),
    KEY("masterkey", R_SECRET),
    KEY("deploykey", R_SECRET),
    KEY("hmackey", R_SECRET),
    KEY("authkey", R_SECRET),
    KEY("auth", R_AUTH),
    KEY("secret", R_SECRET),
    KEY("token", R_TOKEN),
    KEY("credential", R_CREDENTIAL),
    KEY("credentials", R_CREDENTIAL),
};

/*
 * The suffixes ending in each letter, as bits in key_rules' order; and
 * whether a key ending in it can have a rule (those, "pass" and "sig"):
 * most keys end otherwise.
 */
static uint32_t key_ends[256];
static unsigned char key_end[256];
_Static_assert(sizeof key_rules / sizeof key_rules[0] <= 32,
    "key_ends holds a bit per suffix");

static void
keys_init(void)
{
	size_t i;

	for (i = 0; i < sizeof key_rules / sizeof key_rules[0]; i++) {
		key_ends[(unsigned char)key_rules[i].suffix[
		    key_rules[i].len - 1]] |= 1u << i;
		key_end[(unsigned char)key_rules[i].suffix[
		    key_rules[i].len - 1]] = 1;
	}
	key_end['s'] = key_end['g'] = 1;
}

/* key_rule for a key whose last letter some rule's key ends in. */
static int
key_rule_at(const char *k, size_t kl, const char *raw, size_t rawlen)
{
	uint32_t m;
	size_t i, l;
	int rule = -1;

	for (m = key_ends[(unsigned char)k[kl - 1]]; m != 0; m &= m - 1) {
		i = (size_t)__builtin_ctz(m);
		l = key_rules[i].len;
		if (l <= kl && memcmp(k + kl - l, key_rules[i].suffix, l) == 0) {
			rule = key_rules[i].rule;
			break;
		}
	}
	if (rule == -1) {
		/* DB_PASS=, pass: but not bypass= or compass: */
		if (kl >= 4 && memcmp(k + kl - 4, "pass", 4) == 0 &&
		    (rawlen == 4 || strchr("_-.", raw[rawlen - 5]) != NULL))
			return R_PASSWORD;
		if (kl == 3 && memcmp(k, "sig", 3) == 0)
			return R_AZURE_SAS;
		return -1;
	}
	/* $PWD and $OLDPWD are directories. */
	if (rule == R_PASSWORD &&
	    (kl == 3 || (kl == 6 && memcmp(k, "oldpwd", 6) == 0)) &&
	    k[kl - 1] == 'd' && memcmp(k + kl - 3, "pwd", 3) == 0)
		return -1;
	if ((rule == R_API_KEY || rule == R_TOKEN) &&
	    memmem(k, kl, "heroku", 6) != NULL)
		return R_HEROKU;
	return rule;
}

/* The rule for a key (lowercased, without _ - .), or -1: most keys end
 * in a letter no rule's key ends in, and are told so without a call. */
static inline int
key_rule(const char *k, size_t kl, const char *raw, size_t rawlen)
{
	if (kl == 0 || !key_end[(unsigned char)k[kl - 1]])
		return -1;
	return key_rule_at(k, kl, raw, rawlen);
}

/* Values that hold no secret: placeholders, references, booleans. */
static int
placeholder(const char *v, size_t n)
{
	static const char *const words[] = {"null", "nil", "none", "true",
	    "false", "undefined", "empty", "redacted", "hidden", "masked",
	    "\"\"", "''", "replace_me", "replaceme", "changeme", "change_me",
	    "change-me", "placeholder", "dummy", NULL};
	size_t i;

	if (n < 3)
		return 1;
	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && strncasecmp(v, words[i], n) == 0)
			return 1;
	/* $VAR, ${VAR}, $(cat f), <token>, (sensitive value) */
	if (v[0] == '$' || (v[0] == '(' && v[n - 1] == ')') ||
	    (v[0] == '<' && v[n - 1] == '>') ||
	    (n >= 4 && memcmp(v, "{{", 2) == 0) ||
	    (n >= 9 && memcmp(v, "[REDACTED", 9) == 0) ||
	    (n == 2 && v[0] == '%'))
		return 1;
	for (i = 1; i < n && v[i] == v[0]; i++)
		;
	return i == n && strchr("*xX.#-?", v[0]) != NULL;
}

static int
lower_word(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 'a' || p[i] > 'z')
			return 0;
	return 1;
}

/* "Authorization: <scheme> <credentials>" from the value at p. */
static size_t
authz(struct ctx *c, size_t p, size_t ve)
{
	size_t w = p + run(c, p, C_ALNUM), r, l;

	if (placeholder(c->t + p, ve - p))
		return 0;
	/* Bearer <token>: the credential, the last word, a placeholder. */
	for (l = ve; l > p && c->t[l - 1] != ' '; l--)
		;
	if (l > p && placeholder(c->t + l, ve - l))
		return 0;
	if ((r = scheme_cred(c, p, w, 1)) != 0)
		return r;
	if (w < ve && c->t[w] == ' ') {
		/* Another scheme (token, Digest, AWS4-HMAC-SHA256 ...). */
		while (w < ve && c->t[w] == ' ')
			w++;
		if ((r = dispatch(c, w, w + run(c, w, C_RUN))) != 0)
			return r;
		add(c, w, ve, R_AUTH);
		return ve;
	}
	if ((r = dispatch(c, p, p + run(c, p, C_RUN))) != 0)
		return r;
	add(c, p, ve, R_AUTH);
	return ve;
}

/* Words that follow an option's name in text about it, not a value. */
static int
prose_word(const char *p, size_t n)
{
	static const char *const words[] = {"to", "is", "for", "and", "or",
	    "the", "a", "an", "if", "of", "in", "on", "with", "when", "must",
	    "was", "not", "be", "are", "flag", "option", "argument", "value",
	    "parameter", "instead", "takes", "expects", "requires", "given",
	    "missing", NULL};
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && strncasecmp(p, words[i], n) == 0)
			return 1;
	return 0;
}

/*
 * The value of a key at vs (blanks first), to be masked by rule. Prose:
 * PROSE_LOWER takes a lowercase word with more words after it for text,
 * PROSE_WORD one of prose_word's, PROSE_ALPHA any lowercase word (a
 * setting: auth: basic).
 */
enum { PROSE_NONE, PROSE_LOWER, PROSE_WORD, PROSE_ALPHA };

static size_t
value(struct ctx *c, size_t vs, int rule, int prose)
{
	const char *t = c->t;
	size_t n = c->n, ve, r;
	int q = 0, esc = 0;

	while (vs < n && (t[vs] == ' ' || t[vs] == '\t'))
		vs++;
	if (vs < n && (t[vs] == '"' || t[vs] == '\'')) {
		q = t[vs++];
	} else if (vs + 1 < n && t[vs] == '\\' && t[vs + 1] == '"') {
		q = '"';
		esc = 1;
		vs += 2;
	}
	ve = vs;
	if (esc) {
		while (ve < n && t[ve] != '\n' &&
		       !(t[ve] == '\\' && ve + 1 < n && t[ve + 1] == '"'))
			ve++;
	} else if (q != 0) {
		while (ve < n && t[ve] != q && t[ve] != '\n')
			ve += t[ve] == '\\' && ve + 1 < n ? 2 : 1;
		if (ve > n)
			ve = n;
	} else if (rule == R_AUTH_HEADER) {
		/* Unquoted, the header runs to the end of the line. */
		while (ve < n && t[ve] != '\n' && t[ve] != '\r')
			ve++;
	} else {
		while (ve < n && (strchr(" \t\r\n&;,\"'<>)]}`", t[ve]) ==
		    NULL || (strchr(",)]}", t[ve]) != NULL && ve + 1 < n &&
		    strchr(" \t\r\n\"'", t[ve + 1]) == NULL)))
			ve++;
	}
	if (rule == R_AUTH_HEADER)
		return ve > vs ? authz(c, vs, ve) : 0;
	if (placeholder(t + vs, ve - vs))
		return 0;
	if (q == 0 && t[vs] == '(') {
		/* (sensitive value): words in parentheses, not a password. */
		for (r = vs; r < n && t[r] != ')' && t[r] != '\n'; r++)
			;
		if (r < n && t[r] == ')' && memchr(t + vs, ' ', r - vs) != NULL)
			return 0;
	}
	if (prose == PROSE_LOWER && q == 0 && ve < n && t[ve] == ' ' &&
	    lower_word(t + vs, ve - vs))
		return 0;
	if (prose == PROSE_WORD && q == 0 && prose_word(t + vs, ve - vs))
		return 0;
	if (prose == PROSE_ALPHA && lower_word(t + vs, ve - vs))
		return 0;
	if (IS(t[vs], C_RUN) &&
	    (r = dispatch(c, vs, vs + run(c, vs, C_RUN))) != 0)
		return r;
	add(c, vs, ve, rule);
	return ve;
}

/* A key's byte as key_fold writes it: A-Z lowercased. */
static unsigned char
fold(char ch)
{
	return kfold[(unsigned char)ch];
}

/* A key as rules know it: lowercase, without _ - and . (64 bytes at most). */
static size_t
key_fold(const char *p, size_t n, char *key)
{
	size_t i, kl = 0;

	/* Each byte is written; one left out is written over next. */
	for (i = 0; i < n && kl < 64; i++) {
		key[kl] = (char)kfold[(unsigned char)p[i]];
		kl += kkeep[(unsigned char)p[i]];
	}
	return kl;
}

/*
 * The rule that the attributes of an XML element name, looking back
 * from p to its '<': key="ApiKey", name="clientSecret", type="password".
 */
static int
xml_attr_rule(const struct ctx *c, size_t p)
{
	static const char *const attrs[] = {"key=\"", "name=\"", "id=\"",
	    "type=\"", NULL};
	const char *t = c->t;
	size_t lt = p, i, a, v, ve, kl;
	char key[64];
	int rule;

	while (lt > 0 && p - lt < 512 && t[lt - 1] != '<' && t[lt - 1] != '>' &&
	       t[lt - 1] != '\n')
		lt--;
	if (lt == 0 || t[lt - 1] != '<')
		return -1;
	for (i = lt; i < p; i++) {
		if (t[i] != ' ')
			continue;
		for (a = 0; attrs[a] != NULL; a++)
			if (at_n(c, i + 1, attrs[a], strlen(attrs[a])))
				break;
		if (attrs[a] == NULL)
			continue;
		v = i + 1 + strlen(attrs[a]);
		for (ve = v; ve < p && t[ve] != '"'; ve++)
			;
		kl = key_fold(t + v, ve - v, key);
		if (a == 3) {
			if (kl == 8 && memcmp(key, "password", 8) == 0)
				return R_PASSWORD;
		} else if ((rule = key_rule(key, kl, t + v, ve - v)) >= 0)
			return rule;
	}
	return -1;
}

/* <password>value</password>, <entry name="token">value</entry> at '>'. */
static size_t
xml_elem(struct ctx *c, size_t j)
{
	const char *t = c->t;
	size_t lt = j, ne, ve, kl;
	char key[64];
	int rule;

	if (j == 0 || j + 1 >= c->n || t[j + 1] == '<' || t[j - 1] == '/')
		return 0;
	while (lt > 0 && j - lt < 512 && t[lt - 1] != '<' && t[lt - 1] != '>' &&
	       t[lt - 1] != '\n')
		lt--;
	if (lt == 0 || t[lt - 1] != '<' || !IS(t[lt], C_ALNUM))
		return 0;
	for (ne = lt; ne < j && IS(t[ne], C_KEY); ne++)
		;
	if (ne < j && t[ne] != ' ')
		return 0;
	kl = key_fold(t + lt, ne - lt, key);
	if ((rule = key_rule(key, kl, t + lt, ne - lt)) < 0 &&
	    (ne == j || (rule = xml_attr_rule(c, j)) < 0))
		return 0;
	if (rule == R_AUTH_HEADER)
		rule = R_AUTH;
	for (ve = j + 1; ve < c->n && t[ve] != '<' && t[ve] != '\n'; ve++)
		;
	if (ve == c->n || t[ve] != '<' || placeholder(t + j + 1, ve - j - 1))
		return 0;
	add(c, j + 1, ve, rule);
	return ve;
}

/* The command word (its base name) of the command around s. */
static size_t
cmd_of(const struct ctx *c, size_t s, size_t *ce)
{
	const char *t = c->t;
	size_t b = s, e, k;

	while (b > 0 && strchr("\n|;&`(", t[b - 1]) == NULL)
		b--;
	for (;;) {
		while (b < s && strchr(" \t$+>#", t[b]) != NULL)
			b++;
		for (e = b; e < s && t[e] != ' ' && t[e] != '\t'; e++)
			;
		for (k = e; k > b && t[k - 1] != '/'; k--)
			;
		if ((e - k == 4 && memcmp(t + k, "sudo", 4) == 0) ||
		    (e - k == 3 && memcmp(t + k, "env", 3) == 0)) {
			b = e;
			continue;
		}
		*ce = e;
		return k;
	}
}

static int
cmd_is(const struct ctx *c, size_t k, size_t e, const char *const *names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == e - k &&
		    memcmp(c->t + k, names[i], e - k) == 0)
			return 1;
	return 0;
}

/*
 * Short options that take a password: mysql's -pVALUE (glued), -p VALUE
 * of sshpass and of the login commands, curl's -u user:password; also
 * curl's --user user:password. The option run is s..e.
 */
static size_t
short_opt(struct ctx *c, size_t s, size_t e)
{
	static const char *const glued[] = {"mysql", "mysqldump", "mysqladmin",
	    "mysqlimport", "mysqlshow", "mysqlcheck", "mariadb",
	    "mariadb-dump", "mysqlsh", NULL};
	static const char *const login[] = {"docker", "podman", "buildah",
	    "skopeo", "nerdctl", "oc", "az", "helm", "crane", NULL};
	static const char *const sep_p[] = {"sshpass", NULL};
	const char *t = c->t;
	size_t k, ce, vs, i;

	if ((s > 0 && t[s - 1] != ' ' && t[s - 1] != '\t') || e - s < 2)
		return 0;
	if (!(t[s + 1] == 'p' || (e - s == 2 && t[s + 1] == 'u') ||
		(e - s == 6 && memcmp(t + s, "--user", 6) == 0)))
		return 0;
	k = cmd_of(c, s, &ce);
	if (t[s + 1] == 'p' && e - s > 2) {
		if (!cmd_is(c, k, ce, glued))
			return 0;
		return value(c, s + 2, R_PASSWORD, PROSE_NONE);
	}
	for (vs = e; vs < c->n && t[vs] == ' '; vs++)
		;
	if (vs == e || vs >= c->n || t[vs] == '-')
		return 0;
	if (t[s + 1] == 'p') {
		/* mysql -p VALUE: a database name to mysql, a password
		 * to whoever wrote it so. */
		if (cmd_is(c, k, ce, sep_p) || cmd_is(c, k, ce, glued) ||
		    (cmd_is(c, k, ce, login) && ce < s &&
			memmem(t + ce, s - ce, " login", 6) != NULL))
			return value(c, vs, R_PASSWORD, PROSE_NONE);
		return 0;
	}
	/* -u / --user user:password */
	if (!(ce - k == 4 && memcmp(t + k, "curl", 4) == 0))
		return 0;
	for (i = vs; i < c->n && t[i] != ':' && t[i] != ' '; i++)
		;
	if (i >= c->n || t[i] != ':')
		return 0;
	return value(c, i + 1, R_PASSWORD, PROSE_NONE);
}

/*
 * netrc: machine HOST login USER password VALUE, at "password" s..e; or
 * a line of its own, "password VALUE", as a netrc spread over lines has
 * it (VALUE one word, and not a lowercase one: "password expired").
 */
static size_t
netrc(struct ctx *c, size_t s, size_t e)
{
	const char *t = c->t;
	size_t b = s, vs, ve;

	if (e >= c->n || t[e] != ' ' || s == 0 || t[s - 1] != ' ')
		return 0;
	while (b > 0 && t[b - 1] != '\n')
		b--;
	if (memmem(t + b, s - b, "machine ", 8) != NULL ||
	    memmem(t + b, s - b, "login ", 6) != NULL)
		return value(c, e, R_PASSWORD, PROSE_WORD);
	for (; b < s && (t[b] == ' ' || t[b] == '\t'); b++)
		;
	for (vs = e; vs < c->n && t[vs] == ' '; vs++)
		;
	for (ve = vs; ve < c->n && t[ve] != ' ' && t[ve] != '\n' &&
	    t[ve] != '\r'; ve++)
		;
	if (b < s || ve == vs || (ve < c->n && t[ve] != '\n' &&
	    t[ve] != '\r') || lower_word(t + vs, ve - vs) ||
	    placeholder(t + vs, ve - vs))
		return 0;
	add(c, vs, ve, R_PASSWORD);
	return ve;
}

/* aws configure set KEY VALUE, npm config set KEY VALUE, at "set" s..e. */
static size_t
config_set(struct ctx *c, size_t s, size_t e)
{
	const char *t = c->t;
	size_t ks, ke, k, kl;
	char key[64];
	int rule;

	if (!((s >= 10 && memcmp(t + s - 10, "configure ", 10) == 0) ||
		(s >= 7 && memcmp(t + s - 7, "config ", 7) == 0)))
		return 0;
	for (ks = e; ks < c->n && t[ks] == ' '; ks++)
		;
	for (ke = ks; ke < c->n && t[ke] != ' ' && t[ke] != '='; ke++)
		;
	if (ke == ks || ke >= c->n)
		return 0;
	for (k = ke; k > ks && strchr(".:/", t[k - 1]) == NULL; k--)
		;
	kl = key_fold(t + k, ke - k, key);
	if ((rule = key_rule(key, kl, t + k, ke - k)) < 0)
		return 0;
	if (rule == R_AUTH_HEADER)
		rule = R_AUTH;
	return value(c, ke + 1, rule, PROSE_NONE);
}

/* A .pgpass line: host:port:database:user:password, alone. */
static void
pgpass(struct ctx *c)
{
	const char *t = c->t;
	size_t i, col[4] = {0, 0, 0, 0}, nc = 0;

	if (c->n > 512 || c->n < 9 || memchr(t, ' ', c->n) != NULL)
		return;
	for (i = 0; i < c->n && nc <= 4; i++)
		if (t[i] == ':' && (i == 0 || t[i - 1] != '\\')) {
			if (nc < 4)
				col[nc] = i;
			nc++;
		}
	if (nc != 4 || col[3] + 1 >= c->n || col[0] == 0)
		return;
	/* The port: digits or '*'. */
	if (col[1] == col[0] + 1)
		return;
	for (i = col[0] + 1; i < col[1]; i++)
		if (!(t[i] >= '0' && t[i] <= '9') && t[i] != '*')
			return;
	/* The host: a name or '*', not a number (times are not hosts). */
	for (i = 0; i < col[0] && t[i] >= '0' && t[i] <= '9'; i++)
		;
	if (i == col[0])
		return;
	if (placeholder(t + col[3] + 1, c->n - col[3] - 1))
		return;
	add(c, col[3] + 1, c->n, R_PASSWORD);
}

/* key=value, key: value, "key": "value" at the separator j. */
static size_t
sep(struct ctx *c, size_t j)
{
	const char *t = c->t;
	size_t ks, ke, r, kl;
	unsigned char ch;
	char key[64];
	int rule;

	if (t[j] == ':') {
		if (at(c, j + 1, "//"))
			return url(c, j);
		if ((r = telegram(c, j)) != 0)
			return r;
	} else if (at(c, j + 1, "="))
		return 0;
	if (t[j] == ':' && (at(c, j + 1, "=") || at(c, j + 1, ":") ||
	    (j > 0 && t[j - 1] == ':')))
		return 0;	/* key := value at the '='; a::path */
	ke = j;
	if (t[j] == '=' && ke > 0 && t[ke - 1] == ':')
		ke--;
	while (ke > 0 && (t[ke - 1] == ' ' || t[ke - 1] == '\t'))
		ke--;
	if (ke > 0 && (t[ke - 1] == '"' || t[ke - 1] == '\'')) {
		ke--;
		if (ke > 0 && t[ke - 1] == '\\')
			ke--;
	}
	/* The key's last letter, folded: most keys end in one that no
	 * rule's key ends in ("value" and "pwd" do). */
	for (ks = ke; ks > 0 && ke - ks < sizeof key &&
	    (t[ks - 1] == '_' || t[ks - 1] == '-' || t[ks - 1] == '.'); ks--)
		;
	ch = ks > 0 && ke - ks < sizeof key && IS(t[ks - 1], C_KEY) ?
	    fold(t[ks - 1]) : 0;
	if (!key_end[ch] && t[j] == ':')
		return 0;
	ks = ke;
	while (ks > 0 && ke - ks < sizeof key && IS(t[ks - 1], C_KEY))
		ks--;
	kl = key_end[ch] ? key_fold(t + ks, ke - ks, key) : 0;
	if (t[j] == '=' && kl == 3 && memcmp(key, "pwd", 3) == 0) {
		/* Pwd= of a connection string; PWD=/home/... is a directory. */
		for (r = j + 1; r < c->n && t[r] == ' '; r++)
			;
		if (r < c->n && strchr("/~.$", t[r]) != NULL)
			return 0;
		return value(c, j + 1, R_PASSWORD, PROSE_NONE);
	}
	if ((rule = key_rule(key, kl, t + ks, ke - ks)) == -1) {
		/* kubectl --from-literal=key=value: every value. */
		if (t[j] == '=' && ks >= 15 &&
		    memcmp(t + ks - 15, "--from-literal=", 15) == 0)
			return value(c, j + 1, R_SECRET, PROSE_NONE);
		/* <add key="ApiKey" value="..."/> */
		if (t[j] == '=' && kl == 5 && memcmp(key, "value", 5) == 0 &&
		    (rule = xml_attr_rule(c, ks)) != -1)
			return value(c, j + 1, rule, PROSE_NONE);
		return 0;
	}
	/*
	 * sig= is a SAS token next to sv= in the same URL; alone, a signed
	 * URL's signature when it is long enough to be one.
	 */
	if (rule == R_AZURE_SAS &&
	    (j < 3 || memmem(t + (j > 512 ? j - 512 : 0), j > 512 ? 512 : j,
			  "sv=", 3) == NULL)) {
		for (r = j + 1; r < c->n && strchr(" \t\r\n&;\"'", t[r]) ==
		    NULL; r++)
			;
		if (r - j - 1 < 16)
			return 0;
		rule = R_SECRET;
	}
	/* "token: parses the header" is prose, "token: 4f2a..." is not. */
	return value(c, j + 1, rule, rule == R_AUTH ? PROSE_ALPHA :
	    rule == R_TOKEN && t[j] == ':' ? PROSE_LOWER : PROSE_NONE);
}

/*
 * A command line's --password VALUE (the value as the next word), for
 * the option run s..e. Prose ("use --password to set it") is not a value.
 */
static size_t
option(struct ctx *c, size_t s, size_t e)
{
	const char *t = c->t;
	size_t kl, vs = e;
	char key[64];
	int rule;

	if (e - s < 5 || e - s > 40 || t[s + 1] != '-' ||
	    (s > 0 && strchr(" \t'\"", t[s - 1]) == NULL))
		return 0;
	if (vs >= c->n || (t[vs] != ' ' && t[vs] != '\t'))
		return 0;
	while (vs < c->n && (t[vs] == ' ' || t[vs] == '\t'))
		vs++;
	if (vs >= c->n || t[vs] == '-')
		return 0;
	kl = key_fold(t + s + 2, e - s - 2, key);
	rule = key_rule(key, kl, t + s + 2, e - s - 2);
	if (rule == -1 || rule == R_AZURE_SAS)
		return 0;
	return value(c, vs, rule, PROSE_WORD);
}

/* Base64 of 8 bytes or more, padded: what a Secret's data holds. */
static int
b64_value(const char *p, size_t n)
{
	size_t i;

	if (n < 8 || n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!IS(p[i], C_B64) || (p[i] == '=' && i < n - 2))
			return 0;
	return 1;
}

/*
 * A Kubernetes Secret printed as YAML, line by line: the lines indented
 * under "data:" (base64 values) or "stringData:" (any value) hold
 * secrets, until a line indented as little as that key. The state
 * (PEM_K8S, the key's indent, 1 << 16 for stringData) lives with the
 * stream's private-key state.
 */
static void
k8s(struct ctx *c)
{
	const char *t = c->t, *nl;
	size_t ls, le, ind, ke, vs;
	int plain;

	for (ls = 0; ls < c->n; ls = le + 1) {
		nl = memchr(t + ls, '\n', c->n - ls);
		le = nl != NULL ? (size_t)(nl - t) : c->n;
		for (ind = ls; ind < le && t[ind] == ' '; ind++)
			;
		if (ind == le)
			continue;
		if (c->pem->mode == PEM_K8S &&
		    ind - ls > (size_t)(c->pem->rule & 0xffff)) {
			plain = c->pem->rule >> 16;
			for (ke = ind; ke < le && t[ke] != ':' && t[ke] != ' ';
			     ke++)
				;
			if (ke + 1 >= le || t[ke] != ':' || t[ke + 1] != ' ')
				continue;
			for (vs = ke + 1; vs < le && t[vs] == ' '; vs++)
				;
			if (vs < le && (plain ? !placeholder(t + vs, le - vs)
					      : b64_value(t + vs, le - vs)))
				add(c, vs, le, R_K8S);
			continue;
		}
		if (c->pem->mode == PEM_K8S)
			c->pem->mode = PEM_NONE;
		if ((le - ind == 5 && memcmp(t + ind, "data:", 5) == 0) ||
		    (le - ind == 11 && memcmp(t + ind, "stringData:", 11) == 0)) {
			c->pem->mode = PEM_K8S;
			c->pem->rule = (int)(ind - ls) | (t[ind] == 's') << 16;
		}
	}
}

/*
 * Words after which a value is a credential, whatever its format: 1, or
 * 2 for the vaguer ones (key: a cache key is no secret), which want a
 * value without separators. -1 for words that say the value is
 * something else (a fingerprint, a digest, an id).
 */
static const struct {
	const char *w;
	size_t len;
	int kind;
} cred_words[] = {
#define W(s, k) {(s), sizeof(s) - 1, (k)}
    W("token", 1), W("secret", 1), W("password", 1), W("passwd", 1),
    W("passphrase", 1), W("apikey", 1), W("api_key", 1), W("api-key", 1),
    W("auth", 1), W("credential", 1), W("credentials", 1), W("key", 2),
    W("pat", 2), W("pwd", 2), W("fingerprint", -1), W("hash", -1),
    W("digest", -1), W("checksum", -1), W("sha1", -1), W("sha256", -1),
    W("sha512", -1), W("md5", -1), W("commit", -1), W("cache", -1),
    W("uuid", -1), W("id", -1), W("request", -1), W("trace", -1),
    W("etag", -1), W("version", -1),
#undef W
};
#define NCRED_WORDS (sizeof cred_words / sizeof cred_words[0])
_Static_assert(NCRED_WORDS <= 32, "cred_at holds a bit per word");
/* The lengths of the words, by first letter: most runs stop there; and
 * the words, as bits in their order. */
static unsigned short cred_lens[256];
static uint32_t cred_at[256];

static void
cred_init(void)
{
	size_t i;

	for (i = 0; i < NCRED_WORDS; i++) {
		cred_lens[(unsigned char)cred_words[i].w[0]] |=
		    (unsigned short)(1u << cred_words[i].len);
		cred_at[(unsigned char)cred_words[i].w[0]] |= 1u << i;
	}
}

/*
 * cred_word for a run whose length and first letter a word has: each
 * such word compared, letters in either case (as strncasecmp in the C
 * locale, without a call). Kept out of line: most runs never get here.
 */
static __attribute__((noinline)) int
cred_word_at(const char *p, size_t n)
{
	uint32_t m;
	size_t i, k;

	for (m = cred_at[(unsigned char)(p[0] | 0x20)]; m != 0; m &= m - 1) {
		i = (size_t)__builtin_ctz(m);
		if (cred_words[i].len != n)
			continue;
		for (k = 0; k < n && kfold[(unsigned char)p[k]] ==
		    (unsigned char)cred_words[i].w[k]; k++)
			;
		if (k == n)
			return cred_words[i].kind;
	}
	return 0;
}

/* The kind of credential word p[0..n) is (cred_words), or 0. */
static inline int
cred_word(const char *p, size_t n)
{
	if (n < 2 || n > 11 ||
	    !(cred_lens[(unsigned char)(p[0] | 0x20)] & (1u << n)))
		return 0;
	return cred_word_at(p, n);
}

/*
 * A value that only a random generator writes: 16 to 256 bytes, upper
 * and lower case and digits, 10 distinct characters at least, two
 * separators at most (not a name, a date, a version or a UUID).
 */
static int
random_value(const char *p, size_t n, int strict)
{
	unsigned char seen[256] = {0};
	size_t i, k = 0, nsep = 0;
	int up = 0, lo = 0, dg = 0;

	if (n < 16 || n > 256)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch >= 'A' && ch <= 'Z')
			up = 1;
		else if (ch >= 'a' && ch <= 'z')
			lo = 1;
		else if (ch >= '0' && ch <= '9')
			dg = 1;
		else
			nsep++;
		if (!seen[ch]++)
			k++;
	}
	if (strict && (nsep > 0 || n < 20))
		return 0;
	return up && lo && dg && k >= 10 && nsep <= 2;
}

/*
 * The run s..e in the window a credential word opened (see generic).
 * Not inlined: its frame (random_value's table) would cost every run.
 */
static __attribute__((noinline)) void
window(struct ctx *c, size_t s, size_t e, int w, size_t *cred, int *words)
{
	if (w < 0 || s - *cred > 80 ||
	    memchr(c->t + *cred, '\n', s - *cred) != NULL) {
		*cred = (size_t)-1;
		return;
	}
	if (random_value(c->t + s, e - s, *words >= 16))
		add(c, s, e, R_GENERIC);
	if ((++*words & 15) >= 4)
		*cred = (size_t)-1;
}

/*
 * Generic detection at the run s..e that no rule took: a credential
 * word starts a window of 4 words on its line, 80 bytes at most, where
 * a random-looking value is a secret. Most runs are no such word and
 * come in no window: this part is kept short.
 */
static inline void
generic(struct ctx *c, size_t s, size_t e, size_t *cred, int *words)
{
	int w = cred_word(c->t + s, e - s);

	if (w > 0) {
		*cred = e;
		*words = w == 2 ? 16 : 0; /* 16: strict */
	} else if (*cred != (size_t)-1)
		window(c, s, e, w, cred, words);
}

void
rules_scan(const char *t, size_t n, size_t from, struct pem_state *pem,
    int more, struct spans *sp)
{
	struct ctx c = {t, n, from, more, pem, sp};
	size_t i = 0, s, r, cred = (size_t)-1;
	unsigned char ch;
	int words = 0;

	cls_init();
	if (from == 0 && (pem->mode == PEM_NONE || pem->mode == PEM_K8S))
		k8s(&c);
	if (pem->mode == PEM_BODY || pem->mode == PEM_LINE)
		i = pem_resume(&c);
	if (from == 0 && n > 0 && (IS(t[0], C_ALNUM) || t[0] == '*'))
		pgpass(&c);
	while (i < n) {
		ch = (unsigned char)t[i];
		if (cls[ch] & C_RUN) {
			s = i++;
			while (i < n && IS(t[i], C_RUN))
				i++;
			if (i - s < 5) {
				r = 0;
				if (t[s] == '-')
					r = short_opt(&c, s, i);
				else if (i - s == 3 && t[s] == 's' &&
					 t[s + 1] == 'e' && t[s + 2] == 't')
					r = config_set(&c, s, i);
				if (r == 0 && i - s >= 3)
					generic(&c, s, i, &cred, &words);
				if (r > i)
					i = r;
				continue;
			}
			r = dispatch(&c, s, i);
			if (r == 0 && t[s] == '-')
				r = short_opt(&c, s, i);
			if (r == 0 && t[s] == '-')
				r = option(&c, s, i);
			if (r == 0 && i - s == 8 && t[s] == 'p' &&
			    memcmp(t + s, "password", 8) == 0)
				r = netrc(&c, s, i);
			/* "%20ghp_...": a token behind URL-encoding. */
			if (r == 0 && s > 0 && t[s - 1] == '%' && i - s > 7 &&
			    IS(t[s], C_HEX) && IS(t[s + 1], C_HEX))
				r = dispatch(&c, s + 2, i);
			if (r == 0)
				generic(&c, s, i, &cred, &words);
			if (r > i)
				i = r;
			continue;
		}
		if ((ch == '=' || ch == ':') && (r = sep(&c, i)) > i) {
			i = r;
			continue;
		}
		if (ch == '>' && (r = xml_elem(&c, i)) > i) {
			i = r;
			continue;
		}
		/* Bytes that no rule starts at (spaces, most punctuation). */
		do
			i++;
		while (i < n && !scan_stop[(unsigned char)t[i]]);
	}
}

void
rules_member(
    const char *k, size_t kn, const char *v, size_t n, struct spans *sp)
{
	struct pem_state pem = {PEM_NONE, 0};
	struct ctx c = {v, n, 0, 0, &pem, sp};
	size_t ks, ve, kl;
	char key[64];
	int rule;

	cls_init();
	/* The key as sep() sees it before "key": "value" in a text. */
	for (ks = kn; ks > 0 && kn - ks < sizeof key && IS(k[ks - 1], C_KEY);)
		ks--;
	kl = key_fold(k + ks, kn - ks, key);
	/* sig= means a SAS token only next to sv= in the same URL. */
	if ((rule = key_rule(key, kl, k + ks, kn - ks)) == -1 ||
	    rule == R_AZURE_SAS)
		return;
	/* A quoted value in a text ends at its quote or the line's end. */
	for (ve = 0; ve < n && v[ve] != '\n'; ve++)
		;
	if (ve == 0)
		return;
	if (rule == R_AUTH_HEADER) {
		authz(&c, 0, ve);
		return;
	}
	if (placeholder(v, ve))
		return;
	if (IS(v[0], C_RUN) && dispatch(&c, 0, run(&c, 0, C_RUN)) != 0)
		return;
	add(&c, 0, ve, rule);
}

/* A made-up example of what each rule masks, for --list-rules. */
static const char *const examples[R_NBUILTIN] = {
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "key=AIzaDLVhv_Rl7TtJnHpNzbFxfPB1rjdZXXZdjr1",
    "client secret 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",
    "Authorization token ya29.JRbn1FXrBZzPtNvT5hL3lVH7xpjfddfjpx7HVl3Lh5TvNtPzZBrXF1nbRJD_",
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==;EndpointSuffix=core.windows.net",
    "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01&sig=AbCd%2BeFgH1jKlMnOpQrStUvWxYz0123456789%3D",
    "client_secret ~ Zx18Q~MUeq4GYsAYyMqIqMyYAsYG4qeUMGCAACGM set",
    "GITHUB_TOKEN=ghp_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7",
    "gho_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7",
    "ghs_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7 app",
    "ghr_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7",
    "pat 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",
    "glpat-Ygq2EUm6QoCe8c-iIwaG",
    "runner glrt-bjt5HXp9TrFh_fBlLzdJ",
    "deploy gldt-emw8KasAWuIkCiEoO2gM",
    "trigger glptt-e60caac06e842248e60caac06e842248e60caac0",
    "app password ATBBhpzBPfxHd1RtNtR1dHxfPBzphbXVVXbh",
    "ATCTT3xFfGN0ks2CQgyGc0OqIoKuU8mSAwiWME-6446-EMWiwASm8UuKoIqO0cGygQC2skeaYYaeks2CQgyGc0OqIoKuU8mSAwiWME-6446-EMWiwASm8UuKoIqO0cGygQC2=0A1B2C3D",
    "jira ATATT3xFfGF0nv5FTj1Jf3RtLrNxX_pVDzlZPHB9779BHPZlzDVp_XxNrLtR3fJ1jTF5vnhdbbdhnv5FTj1Jf3RtLrNxX_pVDzlZPHB9779BHPZlzDVp_XxNrLtR3fJ1jTF5vnhdbbdhnv5FTj1Jf3RtLrNxX_pVDzlZPHB9779BHPZlzDVp_X=DEADBEEF",
    "SLACK_BOT=xoxb-1234567890123-1234567890123-qy8KYo6QmAa2W2aAmQ6oYK8y",
    "posting to https://hooks.slack.com/services/T00000000/B00000000/w4EQeuCWsGg8c8gGsWCueQE4",
    "https://discord.com/api/webhooks/123456789012345678/z7FRfvBVrDd5X3Z9jL1hP_xlbTNJHHJNTblx_Ph1Lj9Z3X5dDrVBvfRF7ztpnnptz7FR",
    "bot MTA4NjE4NjE5MzQ1NjQ4NjQ2NA.GhJkLm.2-IUiyEYuGg8a6cAmO4kSC0oeWQMKKMQWeo0CS",
    "TELEGRAM 123456789:AA5BLXl1HbxJj_d9fDpR7nVF3rhZTPNNPTZ",
    "twilio key SKc4ea88ae4c620026c4ea88ae4c620026",
    "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",
    "mailgun key-5d731137d5fb99bf5d731137d5fb99bf",
    "stripe sk_live_KSco2IauGe4W0W4eGuaI2ocS",
    "whsec_NVfr5LdxJh7Z3Z7hJxdL5rfVNHDBBDHN",
    "shopify 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",
    "//registry.npmjs.org/:_authToken=npm_TblxBRj3PnDf9fDnP3jRBxlbTNJHHJNTblxB",
    "password = pypi-AgEIcHlwaS5vcmcUcmyAQi2Mk-a4Y6eEsWCwgSG80uqooqu08GSgwCWsEe6Y4a-kM2iQAymcUOK",
    "docker login -p dckr_pat_Xfp1DTl5PnBd7b9hHvZFzjVJ_3x",
    "do token dop_v1_a2c8668c2a40ee04a2c8668c2a40ee04a2c8668c2a40ee04a2c8668c2a40ee04",
    "HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef",
    "VAULT hvs.goy-McuCYwKmEkGqQ4iO8seSIA620026AISes8Oi4QqGkEmKwYCucM-yogaWUUWagoy-McuCYwKmEkGqQ4iO8seSIA",
    "credentials \"app.terraform.io\" { token = \"lt3FTj1Lh5VxRx.atlasv1.mu4ESi0Ie2QsKqMwW-oUCykYOGA8668AGOYkyCUo-WwMqKsQ2eI0iSE4umgcaacgmu4\" }",
    "OPENAI sk-proj-px7HVl3Lh5TvNtPzZBrXF1nbRJD_99_DJRbn1FXrBZzPtNvT5hL3lVH7xpjfddfjpx7HVl3Lh5TvNtPz",
    "ANTHROPIC sk-ant-api03-y6EQeuAUqCc4W2Y8iK0gO-wkaSMIGGIMSakw-Og0Ki8Y2W4cCqUAueQE6ysommosy6EQeuAUqCc4W2Y8iK0gO-wkaSMIGAA",
    "hf_3BLXl1JdzNnFjFnNzdJ1lXLB3xtrrtx3BL",
    "dapi80a6446a082ecce280a6446a082ecce2",
    "AGE-SECRET-KEY-1MRDE8HFANT9PLLP9TNAFH8EDRM430034MRDE8HFANT9PLLP9TNAFH8EDRM",
    "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.-GQcq6Mg2OoEiCkIuWAsaK8wmeYUSSUYemw8KasAWuI",
    "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\",",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "DATABASE_URL=postgres://app:Pa55w0rd@db:5432/app",
    "git clone https://user:s3cr3tpass@github.com/org/repo.git",
    "Authorization: Bearer abcdef123456",
    "-H \"Authorization: Basic dXNlcjpwYXNzd29yZA==\"",
    "authorization: Digest username=\"u\", response=\"6629fae49393a05397450978507c4ef1\"",
    "vault login --client-secret 'k9$ZzQ1' -x",
    "access_key: AbCdEf123456",
    "tool --api-key AKxx1234zz",
    "export DB_PASSWORD=hunter2",
    "\"secret\": \"very-secret-value\"",
    "curl --token ab12cd34ef56 --url https://x",
    "credentials=user:pass",
    "your new token is q8Zr2LmX9vTb4NcW7yKp3Hs",
    "data:\n  username: czNjcjN0LXZhbHVl",
};

/* A made-up example of a vendor format: its prefix, then each segment. */
static void
vendor_example(const struct vendor *v, char *buf, size_t len)
{
	static const char alnum[] =
	    "Zk3Qa9Lm2Xv7Tn4Rb8Wc1Yd6Pe5Hf0Jg", hex[] = "9f3a1c7e5b2d4086",
	    upnum[] = "Q7W2E9R4T1Y8U3I6O5P0";
	size_t p = 0, k;
	int i;

	p += (size_t)snprintf(buf + p, len - p, "%s", v->prefix);
	for (i = 0; i < v->nseg && p < len; i++) {
		const struct vseg *g = &v->seg[i];
		const char *a = g->cls == C_HEX     ? hex
				: g->cls == C_UPNUM ? upnum
						    : alnum;
		size_t al = strlen(a);

		p += (size_t)snprintf(buf + p, len - p, "%s", g->lead);
		for (k = 0; k < g->min && p + 1 < len; k++)
			buf[p++] = a[(k * 7) % al];
		buf[p < len ? p : len - 1] = '\0';
	}
}

void
rules_list(FILE *fp)
{
	char buf[4096];
	size_t i;

	cls_init();
	for (i = 0; i < R_NBUILTIN; i++) {
		const char *e;

		/* One line a rule: a line break is written \n. */
		fprintf(fp, "%s\t", builtin_rules[i]);
		for (e = examples[i]; *e != '\0'; e++)
			if (*e == '\n')
				fputs("\\n", fp);
			else
				fputc(*e, fp);
		fputc('\n', fp);
	}
	for (i = 0; i < NVENDORS; i++) {
		if (i > 0 && vendors[i].rule == vendors[i - 1].rule)
			continue;
		vendor_example(&vendors[i], buf, sizeof buf);
		fprintf(fp, "%s\t%s\n", builtin_rules[vendors[i].rule], buf);
	}
}
