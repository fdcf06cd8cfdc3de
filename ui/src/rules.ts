// Generated from Rust (src/model/rules.rs) by tests/ts_bindings.rs; do not edit.
// UPDATE_BINDINGS=1 cargo test --test ts_bindings rewrites it.

export const RULES = {
  "key_features": [
    "Empowering individuals and promoting social cohesion",
    "Enhancing economic development and cultural prosperity",
    "Promoting sustainable development",
    "Inclusive learning in the education system",
    "Revitalized learning in families and communities",
    "Effective learning for and in the workplace",
    "Extended use of modern learning technologies",
    "Enhanced quality in learning",
    "A vibrant culture of learning throughout life",
    "Strengthened political will and commitment",
    "Improved governance and participation of all stakeholders",
    "Boosted mobilization and utilization of resources"
  ],
  "sections": [
    {
      "key": "vision",
      "label": "Vision and motivation"
    },
    {
      "key": "challenges",
      "label": "Challenges and goals"
    },
    {
      "key": "plan",
      "label": "Plan and implementation"
    }
  ],
  "facts": [
    {
      "key": "population",
      "label": "Population"
    },
    {
      "key": "area_km2",
      "label": "Area (km²)"
    },
    {
      "key": "gdp_city_usd",
      "label": "GDP per capita, city (USD)"
    },
    {
      "key": "gdp_country_usd",
      "label": "GDP per capita, country (USD)"
    },
    {
      "key": "schooling_years",
      "label": "Mean years of schooling (city)"
    }
  ],
  "regions": [
    "Africa",
    "Arab States",
    "Asia and the Pacific",
    "Europe and North America",
    "Latin America and the Caribbean"
  ],
  "limits": {
    "portrait_bytes": 1048576,
    "section_chars": 20000,
    "lead_chars": 5000,
    "list_items": 50,
    "email_local_bytes": 64
  },
  "fact_years": [
    1900,
    2100
  ],
  "email_pattern": "^[^\\s\\p{Cc}\\p{Cf}@<>()\\[\\]\\\\,;:\"?#%&=/'`.]+(?:\\.[^\\s\\p{Cc}\\p{Cf}@<>()\\[\\]\\\\,;:\"?#%&=/'`.]+)*@[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?(?:\\.[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?)+$",
  "email_samples": [
    [
      "learningfestival@corkcity.ie",
      true
    ],
    [
      "a.b-c_d+e@sub.example.org",
      true
    ],
    [
      "josé@medellín.gov.co",
      true
    ],
    [
      "小林@例え.jp",
      true
    ],
    [
      "x@.example.org",
      false
    ],
    [
      "x@example..org",
      false
    ],
    [
      "x@example",
      false
    ],
    [
      ".x@example.org",
      false
    ],
    [
      "x.@example.org",
      false
    ],
    [
      "x..y@example.org",
      false
    ],
    [
      "x@-example.org",
      false
    ],
    [
      "x@example-.org",
      false
    ],
    [
      "x y@example.org",
      false
    ],
    [
      "x@example.org?attach=/etc/passwd",
      false
    ],
    [
      "x#y@example.org",
      false
    ],
    [
      "x%41@example.org",
      false
    ],
    [
      "x@exa_mple.org",
      false
    ],
    [
      "learningfestival at corkcity.ie",
      false
    ],
    [
      "x​@example.org",
      false
    ],
    [
      "x‮@example.org",
      false
    ],
    [
      "<x>@example.org",
      false
    ],
    [
      "x@example.org\n",
      false
    ],
    [
      "@example.org",
      false
    ],
    [
      "x@@example.org",
      false
    ]
  ]
} as const;
