-- Spend, leads, opportunities, revenue and ROI of one campaign over a date
-- range. Counts are BIGINT, as COUNT() returns (the seed declared INTEGER).
-- PL/pgSQL so the body is checked when called, not against a CRM schema that
-- may name its timestamps differently.
CREATE OR REPLACE FUNCTION calculate_campaign_roi(
    p_tenant_id   INTEGER,
    p_campaign_id TEXT,
    p_from        DATE,
    p_to          DATE
) RETURNS TABLE (
    spend              NUMERIC,
    leads              BIGINT,
    opportunities      BIGINT,
    won_opportunities  BIGINT,
    revenue            NUMERIC,
    roi_percentage     NUMERIC
)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_spend   NUMERIC;
    v_revenue NUMERIC;
BEGIN
    SELECT COALESCE(SUM(i.spend), 0) INTO v_spend
    FROM meta_ads_insights i
    WHERE i.tenant_id = p_tenant_id AND i.meta_campaign_id = p_campaign_id
      AND i.date BETWEEN p_from AND p_to;

    SELECT COALESCE(SUM(t.amount), 0) INTO v_revenue
    FROM sales_transactions t
    WHERE t.tenant_id = p_tenant_id AND t.meta_campaign_id = p_campaign_id
      AND t.transaction_date BETWEEN p_from AND p_to;

    RETURN QUERY
    SELECT
        v_spend,
        (SELECT COUNT(*) FROM leads l
          WHERE l.tenant_id = p_tenant_id AND l.meta_campaign_id = p_campaign_id
            AND l.created_at::date BETWEEN p_from AND p_to),
        (SELECT COUNT(*) FROM opportunities o JOIN leads l ON l.id = o.lead_id
          WHERE o.tenant_id = p_tenant_id AND l.meta_campaign_id = p_campaign_id
            AND o.created_at::date BETWEEN p_from AND p_to),
        (SELECT COUNT(*) FROM opportunities o JOIN leads l ON l.id = o.lead_id
          WHERE o.tenant_id = p_tenant_id AND l.meta_campaign_id = p_campaign_id
            AND o.stage = 'won' AND o.closed_at::date BETWEEN p_from AND p_to),
        v_revenue,
        CASE WHEN v_spend > 0 THEN ROUND((v_revenue - v_spend) / v_spend * 100, 2) END;
END
$$;
