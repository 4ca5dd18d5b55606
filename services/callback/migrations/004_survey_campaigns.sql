-- Survey campaigns (issue 20): one questionnaire per owner in scope; an answer is stored once
-- (the primary key), and its points go out once (callback.SurveyCompleted with the
-- questionnaire's reference, which loyalty awards once).
CREATE TABLE survey_campaigns (
  campaign_id  text        PRIMARY KEY,
  project_id   text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('quarterly_satisfaction', 'home_visit')),
  title        text        NOT NULL,
  buildings    jsonb       NOT NULL DEFAULT '[]',  -- empty = the whole project
  started_by   text        NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX survey_campaigns_by_project ON survey_campaigns (project_id, created_at DESC);

CREATE TABLE survey_questionnaires (
  campaign_id  text        NOT NULL REFERENCES survey_campaigns (campaign_id),
  owner_id     text        NOT NULL,
  unit_id      text        NOT NULL,
  building     text        NOT NULL DEFAULT '',
  reference    text        NOT NULL UNIQUE,  -- survey_reference(campaign, owner)
  score        int         CHECK (score BETWEEN 1 AND 5),
  comment      text        NOT NULL DEFAULT '',
  method       text        NOT NULL DEFAULT '',
  recorded_by  text        NOT NULL DEFAULT '',
  answered_at  timestamptz,
  PRIMARY KEY (campaign_id, owner_id)
);
CREATE INDEX survey_questionnaires_by_owner ON survey_questionnaires (owner_id);
